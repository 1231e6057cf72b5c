import Foundation
import Testing

@Suite("syncledger convert")
struct ConvertCommandTests {
    @Test("Markdown to ADF prints one JSON document")
    func markdownToADF() throws {
        let result = try SyncLedgerCLI.run(
            ["convert", "--from", "markdown", "--to", "adf"], stdin: "# Title\n\n- **one**\n")
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.isEmpty)
        #expect(
            result.lines == [
                #"{"content":[{"attrs":{"level":1},"content":[{"text":"Title","type":"text"}],"#
                    + #""type":"heading"},{"content":[{"content":[{"content":[{"marks":"#
                    + #"[{"type":"strong"}],"text":"one","type":"text"}],"type":"paragraph"}],"#
                    + #""type":"listItem"}],"type":"bulletList"}],"type":"doc","version":1}"#
            ])
    }

    @Test("ADF to Markdown and to text")
    func adfBack() throws {
        let document =
            #"{"version":1,"type":"doc","content":[{"type":"paragraph","content":["#
            + #"{"type":"mention","attrs":{"id":"1","text":"@Ann"}},"#
            + #"{"type":"text","text":" see *this*","marks":[{"type":"em"}]}]}]}"#
        let markdown = try SyncLedgerCLI.run(
            ["convert", "--from", "adf", "--to", "markdown"], stdin: document)
        #expect(markdown.status == 0, "\(markdown)")
        #expect(markdown.stdout == "@Ann *see \\*this\\**\n")
        let text = try SyncLedgerCLI.run(["convert", "--from=adf", "--to=text"], stdin: document)
        #expect(text.stdout == "@Ann see *this*\n")
    }

    @Test("HTML to text")
    func htmlToText() throws {
        let result = try SyncLedgerCLI.run(
            ["convert", "--from", "html", "--to", "text"],
            stdin: "<p>Hi &amp; welcome</p><script>x()</script><p>line<br>two</p>")
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout == "Hi & welcome\n\nline\ntwo\n")
    }

    @Test(
        "bad ADF input exits 1 naming the problem",
        arguments: [
            (#"{"version":1,"#, "not JSON"),
            (#"{"type":"doc","content":[1]}"#, "content[0] is not an ADF node"),
        ])
    func badInput(input: String, message: String) throws {
        let result = try SyncLedgerCLI.run(
            ["convert", "--from", "adf", "--to", "markdown"], stdin: input)
        #expect(result.status == 1, "\(result)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("syncledger: standard input: "), "\(result)")
        #expect(result.stderr.contains(message), "\(result)")
    }

    @Test("input that is not UTF-8 exits 1")
    func notUTF8() throws {
        let result = try SyncLedgerCLI.run(
            ["convert", "--from", "text", "--to", "adf"], input: Data([0x61, 0xFF, 0x62]))
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("not UTF-8"), "\(result)")
    }

    @Test(
        "bad usage exits 64 with the problem on standard error",
        arguments: [
            (["convert", "--to", "adf"], "'--from FORMAT' is required"),
            (["convert", "--from", "markdown"], "'--to FORMAT' is required"),
            (["convert", "--from", "rtf", "--to", "adf"], "'--from rtf': expected one of"),
            (["convert", "--from", "text", "--to", "html"], "'--to html': expected one of"),
            (["convert", "--from", "text", "--to", "adf", "extra"], "unexpected argument"),
        ])
    func badUsage(arguments: [String], message: String) throws {
        let result = try SyncLedgerCLI.run(arguments)
        #expect(result.status == 64, "\(result)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains(message), "\(result)")
        #expect(result.stderr.contains("--help"), "\(result)")
    }

    @Test("--help describes the options and exits 0")
    func help() throws {
        let result = try SyncLedgerCLI.run(["convert", "--help"])
        #expect(result.status == 0, "\(result)")
        for text in ["Usage: syncledger convert", "--from", "--to", "--help"] {
            #expect(result.stdout.contains(text), "the help lacks \(text)")
        }
        let overview = try SyncLedgerCLI.run(["--help"])
        #expect(overview.stdout.contains("  convert "), "\(overview)")
    }
}
