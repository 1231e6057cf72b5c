import ADF
import Ledger
import Testing

@Suite("Round trips")
struct RoundTripTests {
    @Test("Markdown → ADF → Markdown → ADF gives the same ADF for random documents")
    func randomMarkdown() {
        var generator = MarkdownGenerator(random: SeededGenerator(seed: 0xADF0_0001))
        for number in 0..<600 {
            let markdown = generator.document()
            let document = ADFConversion.document(fromMarkdown: markdown)
            let written = ADFConversion.markdown(from: document)
            let reread = ADFConversion.document(fromMarkdown: written)
            #expect(
                reread == document,
                "document \(number):\n\(markdown)\n--- written as ---\n\(written)\n\(document.json)\n\(reread.json)"
            )
            #expect(ADFConversion.markdown(from: reread) == written, "document \(number)")
            ADFSchema.expectValid(document, "document \(number):\n\(markdown)")
            if reread != document {
                return
            }
        }
    }

    @Test("ADF → Markdown → ADF keeps random documents of supported nodes")
    func randomADF() {
        var generator = ADFGenerator(random: SeededGenerator(seed: 0xADF0_0002))
        for number in 0..<600 {
            let document = generator.document()
            let markdown = ADFConversion.markdown(from: document)
            let reread = ADFConversion.document(fromMarkdown: markdown)
            #expect(
                reread == document,
                "document \(number):\n\(markdown)\n\(document.json)\n\(reread.json)")
            ADFSchema.expectValid(document, "document \(number)")
            if reread != document {
                return
            }
        }
    }

    /// Pieces of Markdown that are mostly markup, strung together at random.
    private static let soup = [
        "a", "b", " ", "*", "_", "~", "~~", "**", "`", "```", "[", "]", "(", ")", "](u)", "[x](y)",
        "#", ">", "-", "- ", "+", "1", "1. ", "7) ", ".", "\\", "\n", "\n\n", "\n  ", "\n   ",
        "\t", "!", "<", "é", "😀", "---", "\r\n",
    ]

    @Test("Markdown → ADF → Markdown → ADF is stable for random strings of markup")
    func markupSoup() {
        var random = SeededGenerator(seed: 0xADF0_0004)
        for number in 0..<2_000 {
            let length = Int.random(in: 0...40, using: &random)
            let markdown = (0..<length).map { _ in random.pick(Self.soup) }.joined()
            let document = ADFConversion.document(fromMarkdown: markdown)
            let written = ADFConversion.markdown(from: document)
            let reread = ADFConversion.document(fromMarkdown: written)
            #expect(
                reread == document,
                "string \(number): \(markdown.debugDescription)\n\(written.debugDescription)")
            ADFSchema.expectValid(document, "string \(number): \(markdown.debugDescription)")
            if reread != document {
                return
            }
        }
    }

    @Test("text → ADF → text keeps the text")
    func plainText() {
        var random = SeededGenerator(seed: 0xADF0_0003)
        let pieces = ["word", "*", "# x", "- y", "1. z", "[a](b)", "`c`", "  spaced", "\\"]
        for _ in 0..<300 {
            var paragraphs: [String] = []
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let lines = (0..<Int.random(in: 1...3, using: &random)).map { _ in
                    (0..<Int.random(in: 1...4, using: &random)).map { _ in random.pick(pieces) }
                        .joined(separator: " ")
                }
                paragraphs.append(lines.joined(separator: "\n"))
            }
            let text = paragraphs.joined(separator: "\n\n")
            let document = ADFConversion.document(fromText: text)
            #expect(ADFConversion.text(from: document) == text)
            ADFSchema.expectValid(document)
        }
    }
}
