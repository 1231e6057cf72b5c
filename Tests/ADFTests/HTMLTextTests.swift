import ADF
import Testing

@Suite("HTML to text")
struct HTMLTextTests {
    @Test(
        "tags, blocks, entities and whitespace",
        arguments: [
            ("<p>Hello <b>world</b></p><p>Next</p>", "Hello world\n\nNext"),
            ("line one<br>line two<br/><br />after", "line one\nline two\n\nafter"),
            ("<div>a</div><div>b</div>", "a\nb"),
            ("<ul><li>one</li><li>two</li></ul>after", "one\ntwo\n\nafter"),
            ("<h1>Title</h1>text", "Title\n\ntext"),
            ("<blockquote>quoted</blockquote>", "quoted"),
            ("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"),
            ("  lots   of\n\n  space\t here ", "lots of space here"),
            ("<pre>  keep\n    this  </pre>after", "  keep\n    this\n\nafter"),
            ("<pre>\nfirst</pre>", "first"),
            (
                "&amp; &lt;tag&gt; &quot;q&quot; &#39;s&#39; a&nbsp;&nbsp;b",
                "& <tag> \"q\" 's' a  b"
            ),
            ("&#233;&#xE9;&#X1F600; &#0; &#xD800;", "éé😀 \u{FFFD} \u{FFFD}"),
            ("AT&T &unknown; &amp &#; & x", "AT&T &unknown; &amp &#; & x"),
            ("<script>alert('<p>x</p>')</script>shown<style>p{}</style>", "shown"),
            ("<SCRIPT type=\"a\">x</SCRIPT>ok", "ok"),
            ("<!-- a <p> comment -->text<!DOCTYPE html>", "text"),
            ("<a href=\"x>y\" title='a>b'>link</a>", "link"),
            ("1 < 2 and 3 > 2", "1 < 2 and 3 > 2"),
            ("<html><head><title>T</title></head><body><p>body</p></body></html>", "body"),
            ("", ""),
        ])
    func text(html: String, expected: String) {
        #expect(ADFConversion.text(fromHTML: html) == expected)
    }

    @Test("HTML converts to ADF through its text")
    func toADF() throws {
        let json = try ADFConversion.convert("<p>a<br>b</p><p>*c*</p>", from: .html, to: .adf)
        let expected = Node.doc(
            Node.paragraph(Node.text("a"), Node.hardBreak, Node.text("b")),
            Node.paragraph(Node.text("*c*")))
        #expect(json == expected.json)
    }
}
