/// Writing inline content: marks as delimiters that nest, text escaped where it would read as
/// markup.
extension MarkdownWriter {
    /// A run of text as the writer sees it: emphasis apart from `code`.
    private struct Run {
        var text: Substring
        var emphasis: Marks
        var code: Bool
        var link: String?

        func wants(_ mark: OpenMark) -> Bool {
            switch mark {
            case .link(let href): link == href
            case .emphasis(let mark): emphasis.contains(mark)
            }
        }
    }

    /// A mark whose opening delimiter has been written and whose closing one has not.
    private enum OpenMark: Equatable {
        case emphasis(Marks)
        case link(String)
    }

    /// An open mark, and whether its delimiters are underscores rather than asterisks.
    private struct Opened {
        var mark: OpenMark
        var underscores = false
    }

    /// Writes a paragraph's content; line breaks start new lines with the current prefix.
    mutating func writeInlines(_ inlines: [Inline]) {
        var line: [Run] = []
        var lineCount = 0
        var lineStart = output.count
        let canonical = inlines.canonical
        let multiline = canonical.contains(.hardBreak)
        func endLine(_ writer: inout MarkdownWriter) {
            writer.writeLine(line)
            writer.trimLineEnd()
            if writer.output.count <= lineStart && (lineCount > 0 || multiline) {
                // An empty line inside a paragraph is a lone backslash, so it is not blank.
                writer.output.append(
                    contentsOf: repeatElement(.space, count: lineStart - writer.output.count))
                writer.output.append(.backslash)
            }
            line.removeAll(keepingCapacity: true)
            lineCount += 1
        }
        for inline in canonical {
            switch inline {
            case .hardBreak:
                endLine(&self)
                newLine()
                lineStart = output.count
            case .text(let text, let marks, let link):
                let emphasis = marks.subtracting(.code)
                let code = marks.contains(.code)
                guard text.utf8.contains(.newline) else {
                    line.append(Run(text: text[...], emphasis: emphasis, code: code, link: link))
                    continue
                }
                // A newline inside text can only be written as a line break.
                for (number, piece) in text.split(
                    separator: "\n", omittingEmptySubsequences: false
                ).enumerated() {
                    if number > 0 {
                        endLine(&self)
                        newLine()
                        lineStart = output.count
                    }
                    line.append(Run(text: piece, emphasis: emphasis, code: code, link: link))
                }
            }
        }
        endLine(&self)
    }

    /// Writes one line's runs, which are in canonical form; code between runs sharing emphasis
    /// is written inside their delimiters.
    private mutating func writeLine(_ runs: [Run]) {
        var runs = runs.filter { !$0.text.isEmpty }
        for index in runs.indices where runs[index].code {
            let before = index > 0 ? runs[index - 1].emphasis : []
            let after = index + 1 < runs.count ? runs[index + 1].emphasis : []
            runs[index].emphasis = before.intersection(after)
        }
        var stack: [Opened] = []
        var atLineStart = true
        for (index, run) in runs.enumerated() {
            // Closing a mark closes the ones opened inside it too; those still wanted open
            // again below.
            var closedAsteriskAt: Int?
            if let lowest = stack.firstIndex(where: { !run.wants($0.mark) }) {
                while stack.count > lowest {
                    let closing = stack.removeLast()
                    writeCloser(closing)
                    if case .emphasis(let marks) = closing.mark, marks != .strike,
                        !closing.underscores
                    {
                        closedAsteriskAt = output.count
                    }
                }
            }
            var opening: [OpenMark] = []
            if let link = run.link, !stack.contains(where: { $0.mark == .link(link) }) {
                opening.append(.link(link))
            }
            for mark in [Marks.strong, .strike, .em] where run.emphasis.contains(mark) {
                if !stack.contains(where: { $0.mark == .emphasis(mark) }) {
                    opening.append(.emphasis(mark))
                }
            }
            var lengths = opening.map { mark in runs[index...].prefix { $0.wants(mark) }.count }
            if opening.count > 1 {
                let sorted = zip(opening, lengths).enumerated().sorted { left, right in
                    left.element.1 != right.element.1
                        ? left.element.1 > right.element.1 : left.offset < right.offset
                }.map(\.element)
                opening = sorted.map(\.0)
                lengths = sorted.map(\.1)
            }
            for (mark, length) in zip(opening, lengths) {
                var opened = Opened(mark: mark)
                // An asterisk opener right after an asterisk closer would merge with it
                // (`*a***b**`); underscores keep them apart where they can close again.
                if closedAsteriskAt == output.count, case .emphasis(let marks) = mark,
                    marks != .strike, Self.underscoreCanClose(after: index + length, in: runs)
                {
                    opened.underscores = true
                }
                writeOpener(opened)
                stack.append(opened)
                atLineStart = false
            }
            if run.code {
                writeCodeSpan(run.text)
                atLineStart = false
            } else {
                writeEscaped(run.text, atLineStart: &atLineStart)
            }
        }
        while let mark = stack.popLast() {
            writeCloser(mark)
        }
    }

    /// Whether an underscore closer written before `runs[next]` can close: it must not be
    /// followed by a letter or digit, which the end of the line, an opening delimiter or code
    /// span, or text starting with anything else ensures.
    private static func underscoreCanClose(after next: Int, in runs: [Run]) -> Bool {
        guard next < runs.count else {
            return true
        }
        let run = runs[next]
        if run.code || run.link != runs[next - 1].link
            || !run.emphasis.isSubset(of: runs[next - 1].emphasis)
        {
            return true
        }
        guard let first = run.text.utf8.first else {
            return true
        }
        return first < 0x80 && (first.isASCIIPunctuation || first.isWhitespace)
    }

    private mutating func writeOpener(_ opened: Opened) {
        switch opened.mark {
        case .link:
            output.append(.openingBracket)
        case .emphasis(let marks):
            output.append(contentsOf: Self.delimiter(marks, underscores: opened.underscores))
        }
    }

    private mutating func writeCloser(_ opened: Opened) {
        switch opened.mark {
        case .link(let href):
            output.append(contentsOf: [.closingBracket, .openingParenthesis])
            writeDestination(href)
            output.append(.closingParenthesis)
        case .emphasis(let marks):
            output.append(contentsOf: Self.delimiter(marks, underscores: opened.underscores))
        }
    }

    private static func delimiter(_ mark: Marks, underscores: Bool) -> [UInt8] {
        let character: UInt8 = underscores ? .underscore : .asterisk
        switch mark {
        case .strong: return [character, character]
        case .strike: return [.tilde, .tilde]
        default: return [character]
        }
    }
}
