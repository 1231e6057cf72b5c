import ADF
import Ledger
import Testing

/// One construct: Markdown as the writer prints it, and the ADF it stands for.
struct MarkdownCase: CustomTestStringConvertible, Sendable {
    let name: String
    let markdown: String
    let document: Value

    var testDescription: String { name }

    /// Every construct both ways; the Markdown is in the form the writer prints.
    static let all: [MarkdownCase] = [
        MarkdownCase(name: "empty", markdown: "", document: Node.doc()),
        MarkdownCase(
            name: "paragraphs", markdown: "One.\n\nTwo.",
            document: Node.doc(Node.paragraph(Node.text("One.")), Node.paragraph(Node.text("Two.")))
        ),
        MarkdownCase(
            name: "hard break", markdown: "line one\nline two",
            document: Node.doc(
                Node.paragraph(Node.text("line one"), Node.hardBreak, Node.text("line two")))),
        MarkdownCase(
            name: "empty line inside a paragraph", markdown: "a\n\\\nb",
            document: Node.doc(
                Node.paragraph(Node.text("a"), Node.hardBreak, Node.hardBreak, Node.text("b")))),
        MarkdownCase(
            name: "headings", markdown: "# One\n\n###### Six",
            document: Node.doc(Node.heading(1, Node.text("One")), Node.heading(6, Node.text("Six")))
        ),
        MarkdownCase(
            name: "bold, italic, code, strike",
            markdown: "**bold** *italic* `code` ~~gone~~",
            document: Node.doc(
                Node.paragraph(
                    Node.text("bold", "strong"), Node.text(" "), Node.text("italic", "em"),
                    Node.text(" "), Node.text("code", "code"), Node.text(" "),
                    Node.text("gone", "strike")))),
        MarkdownCase(
            name: "nested emphasis", markdown: "**bold *both***",
            document: Node.doc(
                Node.paragraph(Node.text("bold ", "strong"), Node.text("both", "strong", "em")))),
        MarkdownCase(
            name: "link", markdown: "see [the docs](https://example.com/a_(b)) now",
            document: Node.doc(
                Node.paragraph(
                    Node.text("see "), Node.link("the docs", "https://example.com/a_(b)"),
                    Node.text(" now")))),
        MarkdownCase(
            name: "bold link", markdown: "[**x**](https://e.com)",
            document: Node.doc(Node.paragraph(Node.link("x", "https://e.com", "strong")))),
        MarkdownCase(
            name: "code link", markdown: "[`run()`](https://e.com)",
            document: Node.doc(Node.paragraph(Node.link("run()", "https://e.com", "code")))),
        MarkdownCase(
            name: "link with a space", markdown: "[a](<https://e.com/a b>)",
            document: Node.doc(Node.paragraph(Node.link("a", "https://e.com/a b")))),
        MarkdownCase(
            name: "bullet list", markdown: "- one\n- two",
            document: Node.doc(
                Node.bullets(
                    Node.item(Node.paragraph(Node.text("one"))),
                    Node.item(Node.paragraph(Node.text("two")))))),
        MarkdownCase(
            name: "ordered list from 1", markdown: "1. one\n2. two",
            document: Node.doc(
                Node.numbered(
                    Node.item(Node.paragraph(Node.text("one"))),
                    Node.item(Node.paragraph(Node.text("two")))))),
        MarkdownCase(
            name: "ordered list from 7", markdown: "7. seven\n8. eight",
            document: Node.doc(
                Node.numbered(
                    from: 7, Node.item(Node.paragraph(Node.text("seven"))),
                    Node.item(Node.paragraph(Node.text("eight")))))),
        MarkdownCase(
            name: "nested lists", markdown: "- a\n  1. b\n     - c\n- d",
            document: Node.doc(
                Node.bullets(
                    Node.item(
                        Node.paragraph(Node.text("a")),
                        Node.numbered(
                            Node.item(
                                Node.paragraph(Node.text("b")),
                                Node.bullets(Node.item(Node.paragraph(Node.text("c"))))))),
                    Node.item(Node.paragraph(Node.text("d")))))),
        MarkdownCase(
            name: "two paragraphs in an item", markdown: "- a\n\n  b",
            document: Node.doc(
                Node.bullets(
                    Node.item(Node.paragraph(Node.text("a")), Node.paragraph(Node.text("b")))))),
        MarkdownCase(
            name: "item starting with a list", markdown: "-\n  - inner",
            document: Node.doc(
                Node.bullets(
                    Node.item(
                        ["type": "paragraph", "content": []],
                        Node.bullets(Node.item(Node.paragraph(Node.text("inner")))))))),
        MarkdownCase(
            name: "neighbouring lists", markdown: "- a\n\n* b",
            document: Node.doc(
                Node.bullets(Node.item(Node.paragraph(Node.text("a")))),
                Node.bullets(Node.item(Node.paragraph(Node.text("b")))))),
        MarkdownCase(
            name: "code block", markdown: "```swift\nlet x = 1\n\n  print(x) \n```",
            document: Node.doc(Node.codeBlock("let x = 1\n\n  print(x) ", language: "swift"))),
        MarkdownCase(
            name: "code block holding a fence", markdown: "````\n```\n````",
            document: Node.doc(Node.codeBlock("```"))),
        MarkdownCase(
            name: "code block in a list item", markdown: "- ```sh\n  make\n  ```",
            document: Node.doc(
                Node.bullets(Node.item(Node.codeBlock("make", language: "sh"))))),
        MarkdownCase(
            name: "block quote", markdown: "> first\n> line\n>\n> second",
            document: Node.doc(
                Node.quote(
                    Node.paragraph(Node.text("first"), Node.hardBreak, Node.text("line")),
                    Node.paragraph(Node.text("second"))))),
        MarkdownCase(
            name: "rule", markdown: "a\n\n---\n\nb",
            document: Node.doc(
                Node.paragraph(Node.text("a")), Node.rule, Node.paragraph(Node.text("b")))),
        MarkdownCase(
            name: "escaped markup",
            markdown: #"2 \* 3 \_x\_ \`y\` \[z\] \~\~no\~\~ a\\b snake_case ~ok"#,
            document: Node.doc(
                Node.paragraph(Node.text(#"2 * 3 _x_ `y` [z] ~~no~~ a\b snake_case ~ok"#)))),
        MarkdownCase(
            name: "escapes at line start",
            markdown: "\\# not a heading\n\\> not a quote\n\\- not a list\n1\\. not a list",
            document: Node.doc(
                Node.paragraph(
                    Node.text("# not a heading"), Node.hardBreak, Node.text("> not a quote"),
                    Node.hardBreak, Node.text("- not a list"), Node.hardBreak,
                    Node.text("1. not a list")))),
        MarkdownCase(
            name: "code span with backticks", markdown: "``a`b`` and `` `x` ``",
            document: Node.doc(
                Node.paragraph(
                    Node.text("a`b", "code"), Node.text(" and "), Node.text("`x`", "code")))),
        MarkdownCase(
            name: "code inside bold", markdown: "**run `make` now**",
            document: Node.doc(
                Node.paragraph(
                    Node.text("run ", "strong"), Node.text("make", "code"),
                    Node.text(" now", "strong")))),
        MarkdownCase(
            name: "non-ASCII text", markdown: "**Grüße** — 日本語 😀",
            document: Node.doc(
                Node.paragraph(Node.text("Grüße", "strong"), Node.text(" — 日本語 😀")))),
    ]
}

@Suite("Markdown and ADF")
struct MarkdownTests {
    @Test("Markdown reads as the ADF for each construct", arguments: MarkdownCase.all)
    func markdownToADF(_ example: MarkdownCase) {
        let document = ADFConversion.document(fromMarkdown: example.markdown)
        #expect(document == example.document, "\(document.json)")
        ADFSchema.expectValid(document, example.name)
    }

    @Test("ADF writes as the Markdown for each construct", arguments: MarkdownCase.all)
    func adfToMarkdown(_ example: MarkdownCase) {
        #expect(ADFConversion.markdown(from: example.document) == example.markdown)
    }

    @Test(
        "other spellings read as the same ADF",
        arguments: [
            ("__bold__ _italic_", "**bold** *italic*"),
            ("* one\n* two", "- one\n- two"),
            ("* one\n+ two", "- one\n\n* two"),
            ("1) one\n2) two", "1. one\n2. two"),
            ("3. three\n9. nine", "3. three\n4. nine"),
            ("  indented   \n\n\n\ntext", "indented\n\ntext"),
            ("#\tTab heading", "# Tab heading"),
            ("line\r\nother\rthird", "line\nother\nthird"),
            ("[a](https://e.com \"title\")", "[a](https://e.com)"),
            ("```\nunclosed", "```\nunclosed\n```"),
            ("***both***", "***both***"),
            ("a*b*c", "a*b*c"),
            ("x_y_z", "x_y_z"),
            ("**not closed", "\\*\\*not closed"),
            ("[no link]", "\\[no link\\]"),
            ("#hashtag", "\\#hashtag"),
            ("-\n", "-"),
        ])
    func otherSpellings(markdown: String, canonical: String) {
        let document = ADFConversion.document(fromMarkdown: markdown)
        #expect(document == ADFConversion.document(fromMarkdown: canonical), "\(document.json)")
        #expect(ADFConversion.markdown(from: document) == canonical)
        ADFSchema.expectValid(document, markdown)
    }

    @Test("ordered lists keep their start number only when it is not 1")
    func orderAttribute() {
        let fromOne = ADFConversion.document(fromMarkdown: "1. a")
        #expect(fromOne["content"]?.arrayValue?.first?["attrs"] == nil)
        let fromZero = ADFConversion.document(fromMarkdown: "0. a")
        #expect(fromZero["content"]?.arrayValue?.first?["attrs"]?["order"] == 0)
    }

    @Test("constructs ADF does not allow in a place are read as text there")
    func placeRestrictions() {
        let inItem = ADFConversion.document(fromMarkdown: "- # title\n  > quote")
        #expect(
            inItem
                == Node.doc(
                    Node.bullets(
                        Node.item(
                            Node.paragraph(
                                Node.text("# title"), Node.hardBreak, Node.text("> quote"))))))
        let inQuote = ADFConversion.document(fromMarkdown: "> - item\n> # title")
        #expect(
            inQuote
                == Node.doc(
                    Node.quote(
                        Node.paragraph(Node.text("- item"), Node.hardBreak, Node.text("# title")))))
        ADFSchema.expectValid(inItem)
        ADFSchema.expectValid(inQuote)
    }

    @Test(
        "emphasis that ends where other emphasis starts reads back as it was written",
        arguments: [
            (Node.text("b", "em"), Node.text("x", "strong"), "*b*__x__!"),
            (Node.text("b", "strong"), Node.text("x", "em"), "**b**_x_!"),
            (Node.text("b", "em"), Node.text("x", "strong"), "*b*__x__ "),
        ])
    func touchingEmphasis(first: Value, second: Value, expected: String) {
        let tail = String(expected.last!)
        let document = Node.doc(Node.paragraph(first, second, Node.text(tail + "end")))
        let markdown = ADFConversion.markdown(from: document)
        #expect(markdown.hasPrefix(String(expected.dropLast())), "\(markdown)")
        #expect(ADFConversion.document(fromMarkdown: markdown) == document, "\(markdown)")
    }
}
