import ADF
import Ledger
import Testing

@Suite("Nodes without a Markdown form")
struct DegradingTests {
    private static func document(_ json: String) throws -> Value {
        try Value(json: #"{"version":1,"type":"doc","content":["# + json + "]}")
    }

    @Test(
        "degrade to their text in Markdown and plain text",
        arguments: [
            (
                #"{"type":"paragraph","content":[{"type":"mention","attrs":{"id":"42","text":"@Ann"}},{"type":"text","text":" hi"}]}"#,
                "@Ann hi", "@Ann hi"
            ),
            (
                #"{"type":"paragraph","content":[{"type":"emoji","attrs":{"shortName":":smile:","text":"😄"}}]}"#,
                ":smile:", ":smile:"
            ),
            (
                #"{"type":"paragraph","content":[{"type":"emoji","attrs":{"text":"😄"}}]}"#,
                "😄", "😄"
            ),
            (
                #"{"type":"paragraph","content":[{"type":"status","attrs":{"text":"DONE","color":"green"}}]}"#,
                "DONE", "DONE"
            ),
            (
                #"{"type":"paragraph","content":[{"type":"date","attrs":{"timestamp":"1700000000000"}}]}"#,
                "2023-11-14", "2023-11-14"
            ),
            (
                #"{"type":"paragraph","content":[{"type":"inlineCard","attrs":{"url":"https://e.com/1"}}]}"#,
                "[https://e.com/1](https://e.com/1)", "https://e.com/1"
            ),
            (
                #"{"type":"panel","attrs":{"panelType":"info"},"content":[{"type":"paragraph","content":[{"type":"text","text":"careful *now*"}]}]}"#,
                #"careful \*now\*"#, "careful *now*"
            ),
            (
                #"{"type":"table","content":[{"type":"tableRow","content":[{"type":"tableHeader","content":[{"type":"paragraph","content":[{"type":"text","text":"A"}]}]},{"type":"tableCell","content":[{"type":"paragraph","content":[{"type":"text","text":"B"}]}]}]},{"type":"tableRow","content":[{"type":"tableCell","content":[{"type":"paragraph","content":[{"type":"text","text":"1"}]}]},{"type":"tableCell","content":[{"type":"paragraph"}]}]}]}"#,
                "A | B\n\n1 |", "A | B\n\n1 |"
            ),
            (
                #"{"type":"mediaSingle","attrs":{"layout":"center"},"content":[{"type":"media","attrs":{"type":"file","id":"x","collection":"c","alt":"diagram.png"}}]}"#,
                "diagram.png", "diagram.png"
            ),
            (
                #"{"type":"mediaSingle","attrs":{"layout":"center"},"content":[{"type":"media","attrs":{"type":"file","id":"x","collection":"c"}}]}"#,
                #"\[media\]"#, "[media]"
            ),
            (
                #"{"type":"somethingNew","content":[{"type":"paragraph","content":[{"type":"text","text":"kept"}]}]}"#,
                "kept", "kept"
            ),
            (
                #"{"type":"paragraph","content":[{"type":"sparkle","content":[{"type":"text","text":"inner"}]}]}"#,
                "inner", "inner"
            ),
            (
                ##"{"type":"paragraph","content":[{"type":"text","text":"u","marks":[{"type":"underline"},{"type":"textColor","attrs":{"color":"#ff0000"}}]}]}"##,
                "u", "u"
            ),
            (
                #"{"type":"expand","attrs":{"title":"More"},"content":[{"type":"paragraph","content":[{"type":"text","text":"hidden"}]}]}"#,
                "**More**\n\nhidden", "More\n\nhidden"
            ),
            (
                #"{"type":"taskList","attrs":{"localId":"l"},"content":[{"type":"taskItem","attrs":{"localId":"a","state":"TODO"},"content":[{"type":"text","text":"one"}]},{"type":"taskItem","attrs":{"localId":"b","state":"DONE"},"content":[{"type":"text","text":"two"}]}]}"#,
                "one\n\ntwo", "one\n\ntwo"
            ),
        ])
    func degrades(node: String, markdown: String, text: String) throws {
        let document = try Self.document(node)
        #expect(ADFConversion.markdown(from: document) == markdown)
        #expect(ADFConversion.text(from: document) == text)
        let reread = ADFConversion.document(fromMarkdown: ADFConversion.markdown(from: document))
        ADFSchema.expectValid(reread, node)
    }

    @Test("code with other marks keeps only code, and code blocks drop marks")
    func codeMarks() throws {
        let document = try Self.document(
            #"""
            {"type":"paragraph","content":[{"type":"text","text":"x","marks":[{"type":"code"},{"type":"strong"}]}]},
            {"type":"codeBlock","content":[{"type":"text","text":"y","marks":[{"type":"strong"}]}]}
            """#)
        let markdown = ADFConversion.markdown(from: document)
        #expect(markdown == "`x`\n\n```\ny\n```")
        let reread = ADFConversion.document(fromMarkdown: markdown)
        #expect(
            reread == Node.doc(Node.paragraph(Node.text("x", "code")), Node.codeBlock("y")))
        ADFSchema.expectValid(reread)
    }

    @Test("a quote holding a list and a list item holding a heading are made valid")
    func invalidNesting() throws {
        let document = try Self.document(
            #"""
            {"type":"blockquote","content":[{"type":"bulletList","content":[{"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"in quote"}]}]}]}]},
            {"type":"bulletList","content":[{"type":"listItem","content":[{"type":"heading","attrs":{"level":2},"content":[{"type":"text","text":"in item"}]}]}]}
            """#)
        let markdown = ADFConversion.markdown(from: document)
        #expect(markdown == "> in quote\n\n- in item")
        ADFSchema.expectValid(ADFConversion.document(fromMarkdown: markdown))
    }
}
