import Ledger

/// How nodes the tree has no place for turn into text.
extension DocumentReader {
    /// Node types that sit inside paragraphs; met among blocks, they join a paragraph.
    static let inlineTypes: Set<String> = [
        "text", "hardBreak", "mention", "emoji", "status", "date", "placeholder", "inlineCard",
        "mediaInline", "inlineExtension", "media",
    ]

    /// The text a node without content stands for: a mention's name, an emoji's short name,
    /// a status's label, a date, a media item's description, or any node's `text` attribute.
    static func leafText(_ node: ValueObject) -> String? {
        let attrs = node["attrs"]?.objectValue
        switch node["type"]?.stringValue ?? "" {
        case "mention":
            return attrs?["text"]?.stringValue ?? attrs?["id"]?.stringValue.map { "@" + $0 }
        case "emoji":
            return attrs?["shortName"]?.stringValue ?? attrs?["text"]?.stringValue
        case "date":
            return attrs?["timestamp"]?.stringValue.map(Self.date(fromTimestamp:))
        case "media", "mediaInline":
            return attrs?["alt"]?.stringValue ?? attrs?["url"]?.stringValue ?? "[media]"
        case "blockCard", "embedCard":
            return attrs?["url"]?.stringValue
        default:
            return attrs?["text"]?.stringValue
        }
    }

    /// A whole number from an integer or decimal attribute.
    static func number(_ value: Value?) -> Int? {
        switch value {
        case .integer(let number)?:
            return Int(clamping: number)
        case .decimal(let number)?:
            return Double(number.description).map { Int(clamping: Int64($0.rounded(.down))) }
        default:
            return nil
        }
    }

    /// A date node's timestamp (milliseconds since 1970, as text) as `YYYY-MM-DD` in UTC; the
    /// timestamp itself when it is not a number.
    static func date(fromTimestamp timestamp: String) -> String {
        guard let milliseconds = Int64(timestamp) else {
            return timestamp
        }
        let days = Int64((Double(milliseconds) / 86_400_000).rounded(.down))
        // Civil date from a day count, on 400-year eras of 146,097 days starting in March.
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func padded(_ number: Int64, _ width: Int) -> String {
            let digits = String(number)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))"
    }
}

/// Blocks read so far in one place, and inline content waiting to become a paragraph.
struct BlockCollector {
    private(set) var blocks: [Block] = []
    var pending = InlineBuilder()

    /// Ends the pending paragraph, if any.
    mutating func flush() {
        if !pending.isEmpty {
            blocks.append(.paragraph(pending.items))
            pending = InlineBuilder()
        }
    }

    mutating func add(_ block: Block) {
        flush()
        blocks.append(block)
    }

    mutating func finish() -> [Block] {
        flush()
        return blocks
    }
}

extension Block {
    /// The block as paragraphs, the only content a quotation may hold.
    var paragraphs: [[Inline]] {
        switch self {
        case .paragraph(let inlines), .heading(_, let inlines):
            return [inlines]
        case .codeBlock(_, let text):
            var builder = InlineBuilder()
            for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false)
                .enumerated()
            {
                if index > 0 {
                    builder.appendBreak()
                }
                builder.append(String(line), .code, link: nil)
            }
            return [builder.items]
        case .blockquote(let paragraphs):
            return paragraphs
        case .bulletList(let items), .orderedList(_, let items):
            return items.flatMap { $0.blocks.flatMap(\.paragraphs) }
        case .rule:
            return []
        }
    }

    /// The block as content a list item may hold: paragraphs, code blocks and lists.
    var listItemBlocks: [Block] {
        switch self {
        case .paragraph, .codeBlock, .bulletList, .orderedList:
            return [self]
        case .heading(_, let inlines):
            return [.paragraph(inlines)]
        case .blockquote(let paragraphs):
            return paragraphs.map { .paragraph($0) }
        case .rule:
            return []
        }
    }
}

extension Value {
    /// What kind of JSON value this is, for messages: `an object`, `a string`.
    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer, .decimal: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
