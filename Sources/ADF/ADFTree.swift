import Ledger

/// The marks of a run of text that the converters understand, besides links.
///
/// ADF allows `code` only with `link`, so a set holding `code` never holds the others once it
/// has passed through ``normalized``.
struct Marks: OptionSet, Hashable, Sendable {
    let rawValue: UInt8

    static let strong = Marks(rawValue: 1)
    static let em = Marks(rawValue: 2)
    static let strike = Marks(rawValue: 4)
    static let code = Marks(rawValue: 8)

    /// The marks with `code` alone winning over the emphasis marks it cannot combine with.
    var normalized: Marks {
        contains(.code) ? .code : self
    }
}

/// An inline piece of a paragraph or heading.
enum Inline: Hashable, Sendable {
    /// Non-empty text with its marks and the address it links to, if any.
    case text(String, Marks, link: String?)
    /// A line break inside the block.
    case hardBreak
}

/// A block of a document, restricted to what the Markdown subset can say.
enum Block: Hashable, Sendable {
    case paragraph([Inline])
    case heading(level: Int, [Inline])
    /// Code kept verbatim; `language` is the fence's info word.
    case codeBlock(language: String?, text: String)
    /// A quotation; ADF allows only paragraphs in it.
    case blockquote([[Inline]])
    case bulletList([ListItem])
    /// A numbered list counting from `start`.
    case orderedList(start: Int, [ListItem])
    case rule
}

/// One item of a list: a paragraph or code block first, then more of those or nested lists.
struct ListItem: Hashable, Sendable {
    var blocks: [Block]

    /// An item whose first block is one ADF allows first (a paragraph or a code block),
    /// an empty paragraph being put in front when it is not.
    init(fitting blocks: [Block]) {
        switch blocks.first {
        case .paragraph?, .codeBlock?:
            self.blocks = blocks
        default:
            self.blocks = [.paragraph([])] + blocks
        }
    }
}

/// A whole document: the typed form the converters read and write.
struct Document: Hashable, Sendable {
    var blocks: [Block]
}

/// Builds inline content, merging neighbouring text that carries the same marks and link, and
/// never keeping empty text.
struct InlineBuilder {
    private(set) var items: [Inline] = []

    mutating func append(_ text: String, _ marks: Marks, link: String?) {
        guard !text.isEmpty else {
            return
        }
        let marks = marks.normalized
        if case .text(let previous, let previousMarks, let previousLink)? = items.last,
            previousMarks == marks, previousLink == link
        {
            items[items.count - 1] = .text(previous + text, marks, link: link)
        } else {
            items.append(.text(text, marks, link: link))
        }
    }

    mutating func appendBreak() {
        items.append(.hardBreak)
    }

    var isEmpty: Bool { items.isEmpty }
}
