import Ledger
import Reconcile
import Testing

/// Text fields whose form differs by side: the value map's counterpart for rich text.
@Suite("Text formats across a pair")
struct FieldFormatTests {
    let ticket = RecordReference.ticket("7")
    let issue = RecordReference.issue("SUP-7")

    static let described = SyncPair(
        name: "support",
        left: RecordSet(connection: "zendesk", recordType: "ticket"),
        right: RecordSet(connection: "jira", recordType: "issue"),
        fields: [
            FieldMapping(left: "subject", right: "summary"),
            FieldMapping(
                left: "description", right: "description",
                formats: FieldFormats(left: .markdown, right: .adf)),
            FieldMapping(
                left: "html_body", right: "environment", authority: .owner(.left),
                formats: FieldFormats(left: .html, right: .text)),
        ])

    static let paragraph: Value = [
        "version": 1, "type": "doc",
        "content": [
            [
                "type": "paragraph",
                "content": [
                    ["type": "text", "text": "Smoke from the "],
                    ["type": "text", "text": "printer", "marks": [["type": "strong"]]],
                ],
            ]
        ],
    ]

    @Test func markdownBecomesADFAndComesBackAsTheSameMarkdown() throws {
        let mapping = Self.described.fields[1]
        let document = try mapping.carry("Smoke from the **printer**", from: .left)
        #expect(document == Self.paragraph)
        #expect(try mapping.carry(document, from: .right) == "Smoke from the **printer**")
        #expect(try mapping.carry(.null, from: .left) == .null)
        #expect(throws: MappingError.self) { try mapping.carry(42, from: .left) }
        #expect(throws: MappingError.self) { try mapping.carry("not a document", from: .right) }
    }

    @Test func htmlIsReadAsTextAndNeverWritten() throws {
        let mapping = Self.described.fields[2]
        #expect(
            try mapping.carry("<p>First &amp; second</p><p>Third</p>", from: .left)
                == "First & second\n\nThird")
        #expect(throws: MappingError.self) { try mapping.carry("plain", from: .right) }
    }

    @Test func anADFEchoOfAMarkdownWriteIsAnEcho() throws {
        let scenario = try SyncScenario(configuration: SyncConfiguration(pairs: [Self.described]))
        try scenario.observe(ticket, at: 0, ["subject": "A", "description": "Start"])
        try scenario.observe(
            issue, at: 1,
            [
                "summary": "A",
                "description": try Self.described.fields[1].carry("Start", from: .left),
            ])
        try scenario.link(ticket, issue)
        #expect(try scenario.plan().isEmpty)

        try scenario.observe(ticket, at: 10, ["description": "Smoke from the **printer**"])
        let update = try #require(try scenario.plan().first)
        #expect(update.record == issue)
        #expect(update.intent.fields == ["description": Self.paragraph])
        try scenario.perform(update)
        try scenario.observe(issue, at: 11, ["description": Self.paragraph])
        #expect(try scenario.plan().isEmpty, "the write came back as an echo")
    }
}
