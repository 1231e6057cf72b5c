import ADF
import Ledger
import Testing

@Suite("Bad ADF input")
struct ConversionErrorTests {
    @Test(
        "is refused with what is wrong and where",
        arguments: [
            ("{\"version\":1,", "the ADF input is not JSON: line 1, column 14"),
            ("[]", "the document is not an ADF doc: expected an object, found an array"),
            ("{\"type\":\"paragraph\"}", "its type is \"paragraph\", expected \"doc\""),
            ("{\"content\":[]}", "its type is missing"),
            (
                "{\"type\":\"doc\",\"content\":[{\"type\":\"paragraph\"},{\"type\":\"rule\"},\"x\"]}",
                "content[2] is not an ADF node: expected an object, found a string"
            ),
            (
                "{\"type\":\"doc\",\"content\":[{\"type\":\"paragraph\",\"content\":[{\"text\":\"a\"}]}]}",
                "content[0].content[0] is not an ADF node: it has no \"type\" string"
            ),
            (
                "{\"type\":\"doc\",\"content\":{}}",
                "content is not a list of nodes: expected an array, found an object"
            ),
        ])
    func refused(input: String, message: String) {
        for target in [TextFormat.markdown, .text, .adf] {
            #expect {
                try ADFConversion.convert(input, from: .adf, to: target)
            } throws: { error in
                "\(error)".contains(message)
            }
        }
    }

    @Test("the lenient readers skip what is not a node and keep the rest")
    func lenient() throws {
        let document = try Value(
            json:
                #"{"type":"doc","content":[7,{"type":"paragraph","content":[{"type":"text","text":"kept"}]}]}"#
        )
        #expect(ADFConversion.markdown(from: document) == "kept")
        #expect(ADFConversion.text(from: document) == "kept")
        #expect(throws: ConversionError.self) { try ADFConversion.markdown(fromChecked: document) }
    }

    @Test("html is not a target")
    func htmlTarget() {
        #expect(
            throws: ConversionError(
                "converting to html is not supported; convert to text, markdown or adf")
        ) {
            try ADFConversion.convert("x", from: .markdown, to: .html)
        }
    }

    @Test("every format converts into ADF that reads back", arguments: TextFormat.allCases)
    func everySource(format: TextFormat) throws {
        let input =
            format == .adf ? Node.doc(Node.paragraph(Node.text("x"))).json : "x"
        let json = try ADFConversion.convert(input, from: format, to: .adf)
        let document = try Value(json: json)
        #expect(document == Node.doc(Node.paragraph(Node.text("x"))))
        ADFSchema.expectValid(document)
    }
}
