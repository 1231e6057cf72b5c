import ADF
import Ledger
import Testing

@Suite("Plain text")
struct PlainTextTests {
    @Test("paragraphs split at blank lines and line endings become hard breaks")
    func textToADF() {
        let document = ADFConversion.document(
            fromText: "Hello *there*\nsecond line\n\n  \n[not] a link")
        #expect(
            document
                == Node.doc(
                    Node.paragraph(
                        Node.text("Hello *there*"), Node.hardBreak, Node.text("second line")),
                    Node.paragraph(Node.text("[not] a link"))))
        ADFSchema.expectValid(document)
        #expect(ADFConversion.document(fromText: "") == Node.doc())
        #expect(ADFConversion.document(fromText: "\n \n\t\n") == Node.doc())
    }

    @Test("plain text survives Markdown: markup characters are escaped")
    func textThroughMarkdown() throws {
        let text = "2 * 3 = 6\n# not a heading\n- not a list\n\n1. not numbered either"
        let markdown = try ADFConversion.convert(text, from: .text, to: .markdown)
        #expect(try ADFConversion.convert(markdown, from: .markdown, to: .text) == text)
    }

    @Test("ADF to text drops marks and keeps list markers, quotes and code")
    func adfToText() {
        let document = ADFConversion.document(
            fromMarkdown: """
                # Title

                Some **bold** and [a link](https://e.com).

                - one
                  1. nested
                - two

                > quoted

                ```
                code  here
                ```
                """)
        #expect(
            ADFConversion.text(from: document) == """
                Title

                Some bold and a link.

                - one
                  1. nested
                - two

                > quoted

                code  here
                """)
    }
}
