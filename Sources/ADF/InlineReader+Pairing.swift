/// Pairing delimiter runs into marks, and turning the pieces into inline content.
extension InlineReader {
    /// Pairs the delimiter runs among the pieces from `start` to `end`, as CommonMark's
    /// emphasis rules do: each closing run takes the nearest opening run of the same character
    /// before it, two bytes at a time when both have two, else one.
    mutating func pairDelimiters(from start: Int, to end: Int) {
        var closer = start
        while closer < end {
            guard pieces[closer].kind == .delimiter, pieces[closer].canClose,
                pieces[closer].count > 0
            else {
                closer += 1
                continue
            }
            guard let opener = opener(for: closer, from: start) else {
                if !pieces[closer].canOpen {
                    pieces[closer].canClose = false
                }
                closer += 1
                continue
            }
            let character = pieces[closer].character
            let used = pieces[opener].count >= 2 && pieces[closer].count >= 2 ? 2 : 1
            let mark: Marks =
                character == .tilde ? .strike : used == 2 ? .strong : .em
            for index in (opener + 1)..<closer {
                pieces[index].marks.insert(mark)
                if pieces[index].kind == .delimiter {
                    // Runs left unpaired inside a pair stay text.
                    pieces[index].canOpen = false
                    pieces[index].canClose = false
                }
            }
            pieces[opener].count -= used
            pieces[closer].count -= used
            if pieces[closer].count == 0 {
                closer += 1
            }
        }
    }

    /// The nearest run before `closer` that can open it.
    private func opener(for closer: Int, from start: Int) -> Int? {
        let closing = pieces[closer]
        var index = closer - 1
        while index >= start {
            let candidate = pieces[index]
            if candidate.kind == .delimiter, candidate.character == closing.character,
                candidate.canOpen, candidate.count > 0
            {
                // A run that can both open and close pairs only when the two lengths do not
                // add up to a multiple of three, unless both are multiples of three.
                let sum = candidate.originalCount + closing.originalCount
                let blocked =
                    (candidate.canClose || closing.canOpen) && sum % 3 == 0
                    && !(candidate.originalCount % 3 == 0 && closing.originalCount % 3 == 0)
                if !blocked {
                    return index
                }
            }
            index -= 1
        }
        return nil
    }

    /// The pieces as inline content: neighbouring text with the same marks and link joined.
    func assemble() -> [Inline] {
        var inlines: [Inline] = []
        var text: [UInt8] = []
        var marks: Marks = []
        var link: String?
        func flush() {
            if !text.isEmpty {
                inlines.append(.text(String(decoding: text, as: UTF8.self), marks, link: link))
                text.removeAll(keepingCapacity: true)
            }
        }
        for piece in pieces {
            var pieceMarks = piece.marks
            let range: Range<Int>
            switch piece.kind {
            case .lineBreak:
                flush()
                inlines.append(.hardBreak)
                continue
            case .delimiter:
                // The unpaired bytes are the inner ones of an opening run and the outer ones
                // of a closing run; either way they read as text where the run stood.
                range = piece.start..<(piece.start + piece.count)
            case .code:
                pieceMarks.insert(.code)
                range = piece.start..<piece.end
            case .text, .bracket:
                range = piece.start..<piece.end
            }
            guard !range.isEmpty else {
                continue
            }
            pieceMarks = pieceMarks.normalized
            if pieceMarks != marks || piece.link != link {
                flush()
                marks = pieceMarks
                link = piece.link
            }
            if piece.kind == .code {
                for byte in bytes[range] {
                    text.append(byte == .newline ? .space : byte)
                }
            } else {
                text.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[range]))
            }
        }
        flush()
        return inlines
    }
}
