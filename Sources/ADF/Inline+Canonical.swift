/// The one form inline content is kept in, so that writing Markdown and reading it back gives
/// the same content.
///
/// Emphasis delimiters only open before and close after non-space characters, so spaces at the
/// edge of an emphasised run cannot carry that emphasis unless the neighbouring run shares it.
/// A code run counts as sharing the emphasis its two neighbours share, because Markdown writes
/// it inside their delimiters (ADF itself forbids emphasis on code). Spaces at the start and
/// end of a line are dropped, as Markdown trims lines, unless they are inside a link or code.
extension [Inline] {
    /// The content with spaces at the edges of emphasised runs given only the emphasis the
    /// neighbouring run shares, and neighbouring runs with equal marks joined.
    var canonical: [Inline] {
        guard needsCanonicalizing else {
            return self
        }
        var builder = InlineBuilder()
        var lineStart = startIndex
        while lineStart < endIndex {
            let lineEnd = self[lineStart...].firstIndex(of: .hardBreak) ?? endIndex
            Self.appendCanonicalLine(self[lineStart..<lineEnd], to: &builder)
            if lineEnd < endIndex {
                builder.appendBreak()
            }
            lineStart = lineEnd + 1
        }
        return builder.items
    }

    /// Whether any run has spaces where ``canonical`` would change something: at the edge of
    /// an emphasised run, or at the start or end of a line. Most content has none, and is
    /// then returned as it is.
    private var needsCanonicalizing: Bool {
        var lineStart = true
        for (index, inline) in enumerated() {
            guard case .text(let text, let marks, let link) = inline else {
                lineStart = true
                continue
            }
            let first = text.utf8.first ?? .space
            let last = text.utf8.last ?? .space
            let edgeSpace = first.isSpaceOrTab || last.isSpaceOrTab
            let lineEnd = index + 1 == count || self[index + 1] == .hardBreak
            if edgeSpace && !marks.contains(.code)
                && (!marks.isEmpty || (link == nil && (lineStart || lineEnd)))
            {
                return true
            }
            lineStart = false
        }
        return false
    }

    /// The emphasis each run of a line counts as having; see ``canonical``.
    static func effectiveEmphasis(_ line: ArraySlice<Inline>) -> [Marks] {
        let own: [Marks] = line.map { inline in
            guard case .text(_, let marks, _) = inline, !marks.contains(.code) else {
                return []
            }
            return marks
        }
        var effective = own
        for (offset, inline) in line.enumerated() {
            guard case .text(_, let marks, _) = inline, marks.contains(.code) else {
                continue
            }
            let before = offset > 0 ? own[offset - 1] : []
            let after = offset + 1 < own.count ? own[offset + 1] : []
            effective[offset] = before.intersection(after)
        }
        return effective
    }

    private static func appendCanonicalLine(
        _ line: ArraySlice<Inline>, to builder: inout InlineBuilder
    ) {
        let line = trimmingLineEdges(line)
        let effective = effectiveEmphasis(line)
        for (offset, inline) in line.enumerated() {
            guard case .text(let text, let marks, let link) = inline else {
                continue
            }
            guard !marks.isEmpty, !marks.contains(.code) else {
                builder.append(text, marks, link: link)
                continue
            }
            let before = offset > 0 ? effective[offset - 1] : []
            let after = offset + 1 < effective.count ? effective[offset + 1] : []
            let utf8 = text.utf8
            let isCore = { (byte: UInt8) in byte != .space && byte != .tab }
            guard let first = utf8.firstIndex(where: isCore),
                let last = utf8.lastIndex(where: isCore)
            else {
                builder.append(text, marks.intersection(before).intersection(after), link: link)
                continue
            }
            let end = utf8.index(after: last)
            builder.append(String(text[..<first]), marks.intersection(before), link: link)
            builder.append(String(text[first..<end]), marks, link: link)
            builder.append(String(text[end...]), marks.intersection(after), link: link)
        }
    }

    /// The line without spaces and tabs at its ends in text outside links and code.
    private static func trimmingLineEdges(_ line: ArraySlice<Inline>) -> ArraySlice<Inline> {
        var line = line
        while case .text(let text, let marks, nil)? = line.first, !marks.contains(.code) {
            let kept = text.drop { $0 == " " || $0 == "\t" }
            if kept.isEmpty {
                line = line.dropFirst()
                continue
            }
            if kept.count != text.count {
                line[line.startIndex] = .text(String(kept), marks, link: nil)
            }
            break
        }
        while case .text(let text, let marks, nil)? = line.last, !marks.contains(.code) {
            var kept = text[...]
            while let last = kept.last, last == " " || last == "\t" {
                kept = kept.dropLast()
            }
            if kept.isEmpty {
                line = line.dropLast()
                continue
            }
            if kept.count != text.count {
                line[line.endIndex - 1] = .text(String(kept), marks, link: nil)
            }
            break
        }
        return line
    }
}
