/// Reads the inline Markdown of one paragraph or heading: escapes, code spans, emphasis,
/// strike-through, links and line breaks.
///
/// The text is cut into pieces first. Delimiter runs (`*`, `_`, `~~`) are then paired the way
/// CommonMark pairs them, and a pair marks every piece between its two runs, so no tree is built.
struct InlineReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var pieces: [Piece] = []
    /// The pieces holding `[` that may still open a link, innermost last.
    private var brackets: [Int] = []

    struct Piece {
        enum Kind {
            /// Literal bytes.
            case text
            /// The content of a code span; newlines in it read as spaces.
            case code
            /// A run of `*`, `_` or `~`, of which `count` bytes are still unpaired.
            case delimiter
            /// A `[` that may open a link.
            case bracket
            case lineBreak
        }

        var kind: Kind
        var start: Int
        var end: Int
        var marks: Marks = []
        var link: String?
        var character: UInt8 = 0
        var count = 0
        var originalCount = 0
        var canOpen = false
        var canClose = false
    }

    /// The inline content of `bytes`, in which `\n` is a line break.
    static func inlines(of bytes: UnsafeBufferPointer<UInt8>) -> [Inline] {
        var reader = InlineReader(bytes: bytes)
        reader.cut()
        reader.pairDelimiters(from: 0, to: reader.pieces.count)
        return reader.assemble().canonical
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        pieces.reserveCapacity(bytes.count / 8 + 4)
    }

    // MARK: - Cutting into pieces

    private mutating func cut() {
        var textStart = 0
        var position = 0
        func flushText(_ pieces: inout [Piece], upTo end: Int) {
            if textStart < end {
                pieces.append(Piece(kind: .text, start: textStart, end: end))
            }
        }
        while position < bytes.count {
            let byte = bytes[position]
            switch byte {
            case .backslash:
                guard position + 1 < bytes.count, bytes[position + 1].isASCIIPunctuation else {
                    position += 1
                    continue
                }
                flushText(&pieces, upTo: position)
                pieces.append(Piece(kind: .text, start: position + 1, end: position + 2))
                position += 2
            case .newline:
                flushText(&pieces, upTo: position)
                pieces.append(Piece(kind: .lineBreak, start: position, end: position))
                position += 1
            case .backtick:
                flushText(&pieces, upTo: position)
                position = codeSpan(at: position)
            case .asterisk, .underscore, .tilde:
                flushText(&pieces, upTo: position)
                position = delimiterRun(at: position)
            case .openingBracket:
                flushText(&pieces, upTo: position)
                brackets.append(pieces.count)
                pieces.append(Piece(kind: .bracket, start: position, end: position + 1))
                position += 1
            case .closingBracket:
                flushText(&pieces, upTo: position)
                position = closeBracket(at: position)
            default:
                position += 1
                continue
            }
            textStart = position
        }
        flushText(&pieces, upTo: bytes.count)
    }

    /// Reads a code span starting at the backtick run at `start`, or the run as text when no
    /// run of the same length closes it; returns where reading goes on.
    private mutating func codeSpan(at start: Int) -> Int {
        var position = start
        while position < bytes.count && bytes[position] == .backtick {
            position += 1
        }
        let length = position - start
        var search = position
        while search < bytes.count {
            guard bytes[search] == .backtick else {
                search += 1
                continue
            }
            let runStart = search
            while search < bytes.count && bytes[search] == .backtick {
                search += 1
            }
            guard search - runStart == length else {
                continue
            }
            var contentStart = position
            var contentEnd = runStart
            let allSpaces = bytes[contentStart..<contentEnd].allSatisfy {
                $0 == .space || $0 == .newline
            }
            if !allSpaces && contentEnd - contentStart >= 2
                && (bytes[contentStart] == .space || bytes[contentStart] == .newline)
                && (bytes[contentEnd - 1] == .space || bytes[contentEnd - 1] == .newline)
            {
                contentStart += 1
                contentEnd -= 1
            }
            pieces.append(Piece(kind: .code, start: contentStart, end: contentEnd))
            return search
        }
        pieces.append(Piece(kind: .text, start: start, end: position))
        return position
    }

    /// Reads a run of `*`, `_` or `~` and decides, from its neighbours, whether it may open or
    /// close emphasis. Only a run of exactly two `~` marks strike-through.
    private mutating func delimiterRun(at start: Int) -> Int {
        let character = bytes[start]
        var end = start
        while end < bytes.count && bytes[end] == character {
            end += 1
        }
        let count = end - start
        if character == .tilde && count != 2 {
            pieces.append(Piece(kind: .text, start: start, end: end))
            return end
        }
        let before = start > 0 ? bytes[start - 1] : UInt8.space
        let after = end < bytes.count ? bytes[end] : UInt8.space
        let beforeSpace = before.isWhitespace
        let afterSpace = after.isWhitespace
        let leftFlanking =
            !afterSpace
            && (!after.isASCIIPunctuation || beforeSpace || before.isASCIIPunctuation)
        let rightFlanking =
            !beforeSpace
            && (!before.isASCIIPunctuation || afterSpace || after.isASCIIPunctuation)
        var piece = Piece(kind: .delimiter, start: start, end: end)
        piece.character = character
        piece.count = count
        piece.originalCount = count
        if character == .underscore {
            piece.canOpen = leftFlanking && (!rightFlanking || before.isASCIIPunctuation)
            piece.canClose = rightFlanking && (!leftFlanking || after.isASCIIPunctuation)
        } else {
            piece.canOpen = leftFlanking
            piece.canClose = rightFlanking
        }
        pieces.append(piece)
        return end
    }

    /// At a `]`: makes a link of the pieces since the innermost open `[` when an address in
    /// parentheses follows, else keeps the `]` as text.
    private mutating func closeBracket(at position: Int) -> Int {
        guard let opener = brackets.popLast(),
            let (href, end) = destination(after: position)
        else {
            pieces.append(Piece(kind: .text, start: position, end: position + 1))
            return position + 1
        }
        pairDelimiters(from: opener + 1, to: pieces.count)
        for index in (opener + 1)..<pieces.count {
            if pieces[index].kind == .delimiter {
                pieces[index].canOpen = false
                pieces[index].canClose = false
            }
            if pieces[index].kind != .lineBreak && pieces[index].link == nil {
                pieces[index].link = href
            }
        }
        pieces[opener].kind = .text
        pieces[opener].end = pieces[opener].start
        // Links do not nest: the brackets before this link can no longer open one.
        for earlier in brackets {
            pieces[earlier].kind = .text
        }
        brackets.removeAll()
        return end
    }

    /// The address in `(…)` right after the `]` at `position` and where it ends, if there is
    /// one: `<…>` or a run without spaces and with balanced parentheses, then an optional
    /// title, which is not kept.
    private func destination(after position: Int) -> (String, Int)? {
        var index = position + 1
        guard index < bytes.count, bytes[index] == .openingParenthesis else {
            return nil
        }
        index += 1
        skipSpaces(&index)
        var href: [UInt8] = []
        if index < bytes.count && bytes[index] == .lessThan {
            index += 1
            while index < bytes.count && bytes[index] != .greaterThan {
                let byte = bytes[index]
                guard byte != .newline && byte != .lessThan else {
                    return nil
                }
                if byte == .backslash && index + 1 < bytes.count
                    && bytes[index + 1].isASCIIPunctuation
                {
                    index += 1
                }
                href.append(bytes[index])
                index += 1
            }
            guard index < bytes.count else {
                return nil
            }
            index += 1
        } else {
            var depth = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte.isWhitespace || byte < 0x20 {
                    break
                }
                if byte == .openingParenthesis {
                    depth += 1
                } else if byte == .closingParenthesis {
                    if depth == 0 {
                        break
                    }
                    depth -= 1
                }
                if byte == .backslash && index + 1 < bytes.count
                    && bytes[index + 1].isASCIIPunctuation
                {
                    index += 1
                }
                href.append(bytes[index])
                index += 1
            }
            guard depth == 0 else {
                return nil
            }
        }
        skipSpaces(&index)
        if index < bytes.count, let closing = Self.titleCloser(bytes[index]) {
            index += 1
            while index < bytes.count && bytes[index] != closing {
                index += bytes[index] == .backslash ? 2 : 1
            }
            guard index < bytes.count else {
                return nil
            }
            index += 1
            skipSpaces(&index)
        }
        guard index < bytes.count, bytes[index] == .closingParenthesis else {
            return nil
        }
        return (String(decoding: href, as: UTF8.self), index + 1)
    }

    private static func titleCloser(_ byte: UInt8) -> UInt8? {
        switch byte {
        case .quote: .quote
        case .apostrophe: .apostrophe
        case .openingParenthesis: .closingParenthesis
        default: nil
        }
    }

    private func skipSpaces(_ index: inout Int) {
        while index < bytes.count && bytes[index].isWhitespace {
            index += 1
        }
    }
}
