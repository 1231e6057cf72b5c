import ADF
import Ledger

/// The `convert` case: ticket descriptions of about 2 KB of Markdown converted to ADF and back,
/// next to JSON encoding of the same ADF documents.
enum ConvertCase {
    /// The name that selects the case on the command line.
    static let name = "convert"

    /// One line saying what the case measures.
    static let summary =
        "2 KB Markdown descriptions to ADF and back, against JSON encoding of the ADF"

    /// The seed the descriptions are generated from.
    static let seed: UInt64 = 0x5eed_00ad_f000_0001

    /// Runs the case and prints its report; the last line holds both conversion rates.
    static func run() async throws {
        let count = try environmentInteger("SYNCLEDGER_BENCH_DOCUMENTS", default: 10_000)
        var descriptions = DescriptionGenerator(seed: seed)
        let markdown = (0..<count).map { _ in descriptions.next() }
        let bytes = markdown.reduce(0) { $0 + $1.utf8.count }
        report(
            "case convert: \(count) Markdown descriptions, \(bytes / count) bytes on average, "
                + "\(megabytes(bytes)) MB in all")

        let toADF = measureBest(of: 3) {
            markdown.map { ADFConversion.document(fromMarkdown: $0) }
        }
        let documents = toADF.result
        let toMarkdown = measureBest(of: 3) {
            documents.map { ADFConversion.markdown(from: $0) }
        }
        try checkRoundTrip(documents, toMarkdown.result)
        let encoding = measureBest(of: 3) {
            documents.reduce(0) { $0 + $1.json.utf8.count }
        }
        let scan = measureBest(of: 3) {
            markdown.reduce(0) { total, text in
                total + text.utf8.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            }
        }
        report(
            "  ADF as JSON: \(megabytes(encoding.result)) MB; Markdown written back: "
                + "\(megabytes(toMarkdown.result.reduce(0) { $0 + $1.utf8.count })) MB")
        report(
            "  UTF-8 scan of the Markdown (newline count): "
                + "\(rate(eventsPerSecond(count, scan.duration))) documents/s")

        let adfRate = eventsPerSecond(count, toADF.duration)
        let markdownRate = eventsPerSecond(count, toMarkdown.duration)
        let encodingRate = eventsPerSecond(count, encoding.duration)
        report(
            "baseline: JSON encoding of the same ADF \(rate(encodingRate)) documents/s; ratio "
                + "\(fixed(adfRate / encodingRate, decimals: 2)) to adf, "
                + "\(fixed(markdownRate / encodingRate, decimals: 2)) to markdown")
        report(
            "convert: \(rate(adfRate)) documents/s to adf, \(rate(markdownRate)) documents/s "
                + "to markdown")
    }

    /// Fails the run when Markdown written from a document does not read back as it.
    private static func checkRoundTrip(_ documents: [Value], _ markdown: [String]) throws {
        for (index, document) in documents.enumerated()
        where ADFConversion.document(fromMarkdown: markdown[index]) != document {
            throw BenchmarkError("description \(index) does not survive ADF → Markdown → ADF")
        }
    }
}

/// Generates ticket descriptions in the Markdown subset, mixing every construct it has.
struct DescriptionGenerator {
    private var generator: SeededGenerator

    /// Creates a generator; equal seeds give equal descriptions.
    init(seed: UInt64) {
        generator = SeededGenerator(seed: seed)
    }

    private static let words = [
        "customer", "reports", "that", "the", "export", "fails", "after", "upgrade", "to",
        "version", "when", "saving", "a", "large", "invoice", "with", "attachments", "and",
        "retrying", "does", "not", "help", "expected", "result", "steps", "login", "page",
        "timeout", "error", "Zürich", "office", "priority", "snake_case", "2*3", "#42",
    ]

    /// The next description, about 2 KB long.
    mutating func next() -> String {
        var text = "## " + sentence(words: 4) + "\n\n"
        while text.utf8.count < 1_900 {
            switch pick(8) {
            case 0:
                text += "### " + sentence(words: 3)
            case 1:
                text += list(ordered: false, depth: 0, indent: "")
            case 2:
                text += list(ordered: true, depth: 0, indent: "")
            case 3:
                text += "```" + ["swift", "json", "sh"][pick(3)] + "\n"
                text += "let total = items.reduce(0) { $0 + $1.price }\nprint(total)\n```"
            case 4:
                text += "> " + paragraph(sentences: 1) + "\n> " + paragraph(sentences: 1)
            default:
                text += paragraph(sentences: 2 + pick(3))
            }
            text += "\n\n"
        }
        return text
    }

    private mutating func list(ordered: Bool, depth: Int, indent: String) -> String {
        let start = ordered ? [1, 1, 3][pick(3)] : 0
        var lines: [String] = []
        for index in 0..<(2 + pick(3)) {
            let marker = ordered ? "\(start + index). " : "- "
            var item = indent + marker + paragraph(sentences: 1)
            if depth == 0 && pick(4) == 0 {
                item += "\n" + list(ordered: !ordered, depth: 1, indent: indent + "   ")
            }
            lines.append(item)
        }
        return lines.joined(separator: "\n")
    }

    private mutating func paragraph(sentences: Int) -> String {
        (0..<sentences).map { _ in sentence(words: 6 + pick(8)) + "." }.joined(separator: " ")
    }

    private mutating func sentence(words count: Int) -> String {
        var parts: [String] = []
        for _ in 0..<count {
            let word = Self.words[pick(Self.words.count)]
            switch pick(14) {
            case 0: parts.append("**" + word + "**")
            case 1: parts.append("*" + word + "*")
            case 2: parts.append("`" + word + "`")
            case 3: parts.append("~~" + word + "~~")
            case 4: parts.append("[" + word + "](https://support.example.com/" + word + ")")
            case 5: parts.append(word + "\\*")
            default: parts.append(word)
            }
        }
        return parts.joined(separator: " ")
    }

    private mutating func pick(_ upperBound: Int) -> Int {
        Int(generator.next(upperBound: UInt64(upperBound)))
    }
}
