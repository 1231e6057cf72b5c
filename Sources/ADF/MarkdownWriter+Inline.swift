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
        var stack: [OpenMark] = []
        var atLineStart = true
        for (index, run) in runs.enumerated() {
            // Closing a mark closes the ones opened inside it too; those still wanted open
            // again below.
            if let lowest = stack.firstIndex(where: { !run.wants($0) }) {
                while stack.count > lowest {
                    writeCloser(stack.removeLast())
                }
            }
            var opening: [OpenMark] = []
            if let link = run.link, !stack.contains(.link(link)) {
                opening.append(.link(link))
            }
            for mark in [Marks.strong, .strike, .em] where run.emphasis.contains(mark) {
                if !stack.contains(.emphasis(mark)) {
                    opening.append(.emphasis(mark))
                }
            }
            if opening.count > 1 {
                let lengths = opening.map { mark in
                    runs[index...].prefix { $0.wants(mark) }.count
                }
                opening = zip(opening, lengths).enumerated().sorted { left, right in
                    left.element.1 != right.element.1
                        ? left.element.1 > right.element.1 : left.offset < right.offset
                }.map(\.element.0)
            }
            for mark in opening {
                writeOpener(mark)
                stack.append(mark)
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

    private mutating func writeOpener(_ mark: OpenMark) {
        switch mark {
        case .link:
            output.append(.openingBracket)
        case .emphasis(let marks):
            output.append(contentsOf: Self.delimiter(marks))
        }
    }

    private mutating func writeCloser(_ mark: OpenMark) {
        switch mark {
        case .link(let href):
            output.append(contentsOf: [.closingBracket, .openingParenthesis])
            writeDestination(href)
            output.append(.closingParenthesis)
        case .emphasis(let marks):
            output.append(contentsOf: Self.delimiter(marks))
        }
    }

    private static func delimiter(_ mark: Marks) -> [UInt8] {
        switch mark {
        case .strong: [.asterisk, .asterisk]
        case .strike: [.tilde, .tilde]
        default: [.asterisk]
        }
    }
}
