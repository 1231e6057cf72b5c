import Ledger

/// A small deterministic random source (SplitMix64), so every run tests the same documents.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }

    mutating func chance(_ percent: Int) -> Bool {
        Int.random(in: 0..<100, using: &self) < percent
    }

    mutating func pick<T>(_ options: [T]) -> T {
        options[Int.random(in: 0..<options.count, using: &self)]
    }
}

/// Words mixing plain text with characters that are markup elsewhere.
private let words = [
    "alpha", "beta", "gamma", "ticket", "Jira", "sync", "a*b", "snake_case", "_lead", "trail_",
    "~tilde", "x~~y", "#hash", "1.", "2)", "[box]", "(paren)", "back\\slash", "`tick", "Grüße",
    "日本", "😀", "<tag>", "&amp;", "-", "+", ">", "*", "_", "~", "!", "http://e.com/x_y",
    "50%", "C#", "a.b", "--", "x|y",
]

/// Random Markdown built from the subset's constructs, for round-trip properties.
struct MarkdownGenerator {
    var random: SeededGenerator

    mutating func document() -> String {
        let count = Int.random(in: 0...6, using: &random)
        return (0..<count).map { _ in block(depth: 0) }.joined(separator: "\n\n")
    }

    private mutating func block(depth: Int) -> String {
        switch Int.random(in: 0..<10, using: &random) {
        case 0:
            return String(repeating: "#", count: Int.random(in: 1...6, using: &random)) + " "
                + line()
        case 1:
            return codeBlock(indent: "")
        case 2:
            let lines = (0..<Int.random(in: 1...3, using: &random)).map { _ in "> " + line() }
            return lines.joined(separator: random.chance(30) ? "\n>\n" : "\n")
        case 3, 4:
            return list(indent: "", depth: depth)
        case 5:
            return "---"
        default:
            return (0..<Int.random(in: 1...3, using: &random)).map { _ in line() }
                .joined(separator: "\n")
        }
    }

    private mutating func codeBlock(indent: String) -> String {
        let language = random.pick(["", "swift", "sh", "json"])
        let lines = (0..<Int.random(in: 0...3, using: &random)).map { _ in
            random.pick(["let x = 1", "  indented", "", "``", "a **not bold**", "# not a heading"])
        }
        return (["```" + language] + lines + ["```"]).joined(separator: "\n" + indent)
    }

    private mutating func list(indent: String, depth: Int) -> String {
        let ordered = random.chance(50)
        let start = random.pick([0, 1, 1, 3, 10])
        let bullet = random.pick(["- ", "* ", "+ "])
        var items: [String] = []
        for index in 0..<Int.random(in: 1...3, using: &random) {
            let marker = ordered ? "\(start + index). " : bullet
            let inner = indent + String(repeating: " ", count: marker.count)
            var item = marker
            item += random.chance(15) ? codeBlock(indent: inner) : line(joinedBy: "\n" + inner)
            if depth < 2 && random.chance(30) {
                item += "\n" + inner + list(indent: inner, depth: depth + 1)
            }
            items.append(item)
        }
        return items.joined(separator: "\n" + indent)
    }

    /// One to three lines of inline content; lines after the first start with `separator`.
    private mutating func line(joinedBy separator: String = "\n") -> String {
        var lines: [String] = []
        for _ in 0..<(random.chance(20) ? 2 : 1) {
            let parts = (0..<Int.random(in: 1...6, using: &random)).map { _ in inline() }
            lines.append(parts.joined(separator: " "))
        }
        return lines.joined(separator: separator)
    }

    private mutating func inline() -> String {
        let word = escaped(random.pick(words))
        switch Int.random(in: 0..<14, using: &random) {
        case 0: return "**" + word + "**"
        case 1: return "*" + word + "*"
        case 2: return "_" + plainWord() + "_"
        case 3: return "~~" + word + "~~"
        case 4: return "`" + random.pick(["x", "a b", "**", "[y]", " z "]) + "`"
        case 5: return "[" + word + "](https://e.com/" + plainWord() + ")"
        case 6: return "**" + word + " *" + plainWord() + "* " + word + "**"
        case 7: return "**" + plainWord() + " `code` " + plainWord() + "**"
        case 8: return "***" + plainWord() + "***"
        case 9: return "[**" + plainWord() + "**](<https://e.com/a b>)"
        default: return word
        }
    }

    private mutating func plainWord() -> String {
        random.pick(["alpha", "beta", "gamma", "Grüße", "x1"])
    }

    /// `word` with its markup characters escaped, so it stays text.
    private func escaped(_ word: String) -> String {
        var result = ""
        for character in word {
            if "\\*_~`[]#>-+".contains(character) {
                result.append("\\")
            }
            result.append(character)
        }
        return result
    }
}

/// Random ADF documents built only from nodes the converters write, in the form they write
/// them: neighbouring text with equal marks joined, no empty text, no spaces at line edges.
struct ADFGenerator {
    var random: SeededGenerator

    mutating func document() -> Value {
        let blocks = (0..<Int.random(in: 0...6, using: &random)).map { _ in block(depth: 0) }
        return ["version": 1, "type": "doc", "content": .array(blocks)]
    }

    private mutating func block(depth: Int) -> Value {
        switch Int.random(in: 0..<9, using: &random) {
        case 0:
            let level = Int64.random(in: 1...6, using: &random)
            return [
                "type": "heading", "attrs": ["level": .integer(level)],
                "content": .array(inlines(breaks: false)),
            ]
        case 1:
            return codeBlock()
        case 2:
            let paragraphs = (0..<Int.random(in: 1...2, using: &random)).map { _ in paragraph() }
            return ["type": "blockquote", "content": .array(paragraphs)]
        case 3, 4:
            return list(depth: depth)
        case 5:
            return ["type": "rule"]
        default:
            return paragraph()
        }
    }

    private mutating func paragraph() -> Value {
        ["type": "paragraph", "content": .array(inlines(breaks: true))]
    }

    private mutating func codeBlock() -> Value {
        let lines = (0..<Int.random(in: 1...3, using: &random)).map { _ in
            random.pick(["let x = 1", "  indented", "```", "a **b** [c]", "trailing  ", "\\"])
        }
        var node: ValueObject = [
            "type": "codeBlock",
            "content": [["type": "text", "text": .string(lines.joined(separator: "\n"))]],
        ]
        if random.chance(60) {
            node["attrs"] = ["language": .string(random.pick(["swift", "sh", "json"]))]
        }
        return .object(node)
    }

    private mutating func list(depth: Int) -> Value {
        let items: [Value] = (0..<Int.random(in: 1...3, using: &random)).map { _ in
            var content = [random.chance(15) ? codeBlock() : paragraph()]
            if random.chance(20) {
                content.append(paragraph())
            }
            if depth < 2 && random.chance(30) {
                content.append(list(depth: depth + 1))
            }
            return ["type": "listItem", "content": .array(content)]
        }
        guard random.chance(50) else {
            return ["type": "bulletList", "content": .array(items)]
        }
        let start = Int64(random.pick([0, 1, 2, 5, 99]))
        var node: ValueObject = ["type": "orderedList", "content": .array(items)]
        if start != 1 {
            node["attrs"] = ["order": .integer(start)]
        }
        return .object(node)
    }

    /// Words with random marks, separated by unmarked spaces or line breaks.
    private mutating func inlines(breaks: Bool) -> [Value] {
        var runs: [(text: String, marks: [Value])] = []
        var nodes: [Value] = []
        func flush() {
            for run in runs {
                var node: ValueObject = ["type": "text", "text": .string(run.text)]
                if !run.marks.isEmpty {
                    node["marks"] = .array(run.marks)
                }
                nodes.append(.object(node))
            }
            runs.removeAll()
        }
        func append(_ text: String, _ marks: [Value]) {
            if let last = runs.last, last.marks == marks {
                runs[runs.count - 1].text += text
            } else {
                runs.append((text, marks))
            }
        }
        let count = Int.random(in: 1...6, using: &random)
        for index in 0..<count {
            if index > 0 {
                if breaks && random.chance(15) {
                    flush()
                    nodes.append(["type": "hardBreak"])
                } else {
                    append(" ", [])
                }
            }
            append(random.pick(words), marks())
        }
        flush()
        return nodes
    }

    /// A set of marks the schema allows together, in the order the converters write them.
    private mutating func marks() -> [Value] {
        let link: Value = ["type": "link", "attrs": ["href": .string(random.pick(hrefs))]]
        switch Int.random(in: 0..<12, using: &random) {
        case 0: return [["type": "strong"]]
        case 1: return [["type": "em"]]
        case 2: return [["type": "strike"]]
        case 3: return [["type": "strong"], ["type": "em"]]
        case 4: return [["type": "code"]]
        case 5: return [link]
        case 6: return [link, ["type": "strong"]]
        case 7: return [link, ["type": "code"]]
        default: return []
        }
    }
}

/// Link addresses, some of which need the `<…>` form.
private let hrefs = [
    "https://example.com", "https://e.com/a_(b)", "https://e.com/a b", "https://e.com/(",
    "mailto:x@y.z", "https://e.com/?q=*&x=[1]", "",
]
