import ADF
import Ledger
import Testing

@Suite("The schema validator", .enabled(if: ADFSchema.isAvailable, ADFSchema.missing))
struct SchemaValidatorTests {
    private var validator: SchemaValidator { ADFSchema.validator! }

    @Test("accepts a document using every node the converters write")
    func acceptsWrittenNodes() {
        let document = Node.doc(
            Node.heading(2, Node.text("Title")),
            Node.paragraph(
                Node.text("b", "strong", "em", "strike"), Node.hardBreak,
                Node.link("c", "https://e.com", "code")),
            Node.numbered(
                from: 3,
                Node.item(
                    Node.codeBlock("x", language: "sh"),
                    Node.bullets(Node.item(Node.paragraph(Node.text("n")))))),
            Node.quote(Node.paragraph(Node.text("q"))),
            Node.rule)
        #expect(validator.problem(with: document) == nil)
        #expect(validator.problem(with: Node.doc()) == nil)
    }

    @Test(
        "rejects documents that break the schema",
        arguments: [
            ("empty text", Node.doc(Node.paragraph(Node.text("")))),
            ("code with strong", Node.doc(Node.paragraph(Node.text("x", "code", "strong")))),
            (
                "marks in a code block",
                Node.doc(
                    ["type": "codeBlock", "content": [Node.text("x", "strong")]])
            ),
            ("list without items", Node.doc(["type": "bulletList", "content": []])),
            (
                "list item starting with a list",
                Node.doc(
                    Node.bullets(Node.item(Node.bullets(Node.item(Node.paragraph(Node.text("x"))))))
                )
            ),
            ("heading level 7", Node.doc(Node.heading(7, Node.text("x")))),
            (
                "list in a quote",
                Node.doc(
                    Node.quote(Node.bullets(Node.item(Node.paragraph(Node.text("x"))))))
            ),
            ("missing version", ["type": "doc", "content": []]),
            ("unknown member", Node.doc(["type": "paragraph", "content": [], "colour": "red"])),
            (
                "link without href",
                Node.doc(
                    Node.paragraph(["type": "text", "text": "x", "marks": [["type": "link"]]]))
            ),
            (
                "bad text colour",
                Node.doc(
                    Node.paragraph([
                        "type": "text", "text": "x",
                        "marks": [["type": "textColor", "attrs": ["color": "red"]]],
                    ]))
            ),
        ] as [(String, Value)])
    func rejects(name: String, document: Value) {
        #expect(validator.problem(with: document) != nil, "\(name) passed")
    }

    @Test("refuses a schema keyword it does not know instead of ignoring it")
    func unknownKeyword() {
        let strict = SchemaValidator(schema: ["type": "string", "format": "email"])
        #expect(strict.problem(with: "x") != nil)
    }
}
