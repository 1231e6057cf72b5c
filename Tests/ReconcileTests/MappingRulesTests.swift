import Ledger
import Reconcile
import Testing

/// What value maps, filters, constants and templates do in the projection.
@Suite("Mapping rules in the projection")
struct MappingRulesTests {
    let ticket = RecordReference.ticket("7")
    let issue = RecordReference.issue("SUP-7")

    static let strict = SyncPair(
        name: "support",
        left: RecordSet(connection: "zendesk", recordType: "ticket"),
        right: RecordSet(connection: "jira", recordType: "issue"),
        direction: .leftToRight,
        fields: [
            FieldMapping(left: "subject", right: "summary"),
            FieldMapping(
                left: "priority", right: "priority",
                values: ValueMap([("urgent", "Highest"), ("normal", "Medium")])),
            FieldMapping(
                left: "type", right: "issuetype",
                values: ValueMap([("incident", "Bug")], rightDefault: "Task")),
        ],
        derived: [
            DerivedField(side: .right, field: "components", source: .constant(["Support"])),
            DerivedField(
                side: .right, field: "customfield_10100",
                source: .template("{id}: {subject} {{{priority}}}")),
        ],
        filters: [
            .left: RecordFilter([
                RecordFilter.Condition(field: "status", values: ["new", "open"])
            ])
        ])

    @Test func aValueTheMapDoesNotListIsHeldAsAConflictAndWrittenNowhere() throws {
        let scenario = try SyncScenario(configuration: SyncConfiguration(pairs: [Self.strict]))
        try scenario.observe(
            ticket, at: 0, ["subject": "A", "priority": "normal", "status": "open"])
        try scenario.observe(issue, at: 1, ["summary": "A", "priority": "Medium"])
        try scenario.link(ticket, issue)
        #expect(try scenario.plan().isEmpty)

        let change = try scenario.observe(ticket, at: 10, ["priority": "low"])
        #expect(try scenario.plan().isEmpty)
        let conflict = try #require(try scenario.pairField(ticket, "priority")?.conflict)
        #expect(conflict.resolution == "unmapped")
        #expect(conflict.left == "low")
        #expect(conflict.at == change)

        try scenario.observe(ticket, at: 20, ["priority": "urgent"])
        #expect(try scenario.plan().first?.intent.fields == ["priority": "Highest"])
    }

    @Test func aDefaultStandsInForValuesTheMapDoesNotList() throws {
        let mapping = Self.strict.fields[2]
        #expect(try mapping.carry("incident", from: .left) == "Bug")
        #expect(try mapping.carry("question", from: .left) == "Task")
        #expect(try mapping.carry("Bug", from: .right) == "incident")
        #expect(throws: MappingError.self) { try mapping.carry("Story", from: .right) }
        #expect(try mapping.carry(.null, from: .right) == .null)
    }

    @Test func onlyRecordsTheFilterAdmitsGetCounterparts() throws {
        let scenario = try SyncScenario(configuration: SyncConfiguration(pairs: [Self.strict]))
        try scenario.observe(ticket, at: 0, ["subject": "Open one", "status": "open"])
        try scenario.observe(.ticket("8"), at: 0, ["subject": "Solved one", "status": "solved"])
        try scenario.observe(.ticket("9"), at: 0, ["subject": "No status"])
        #expect(try scenario.plan().map(\.record) == [ticket])
    }

    @Test func aNewCounterpartGetsItsConstantsAndTemplatesFilledIn() throws {
        let scenario = try SyncScenario(configuration: SyncConfiguration(pairs: [Self.strict]))
        try scenario.observe(
            ticket, at: 0, ["subject": "Printer", "priority": "urgent", "status": "new"])
        let create = try #require(try scenario.plan().first)
        #expect(create.intent.operation == .create)
        #expect(create.intent.fields["summary"] == "Printer")
        #expect(create.intent.fields["priority"] == "Highest")
        #expect(create.intent.fields["components"] == ["Support"])
        #expect(create.intent.fields["customfield_10100"] == "7: Printer {urgent}")
        #expect(create.intent.decisions["components"]?.rule == .owner(.left))
    }

    @Test func theWholeConfigurationSurvivesTheFormItIsRecordedIn() throws {
        let reversed = FieldMapping(
            left: "status", right: "status",
            values: ValueMap(
                forward: [("new", "To Do"), ("open", "To Do"), ("solved", "Done")],
                backward: [("To Do", "open"), ("Done", "solved")], leftDefault: "open"),
            formats: nil)
        let described = FieldMapping(
            left: "description", right: "description", authority: .owner(.left),
            formats: FieldFormats(left: .markdown, right: .adf))
        var pair = Self.strict
        pair.fields += [reversed, described]
        let configuration = SyncConfiguration(pairs: [pair])
        #expect(try SyncConfiguration(value: configuration.value) == configuration)
        #expect(try reversed.carry("new", from: .left) == "To Do")
        #expect(try reversed.carry("To Do", from: .right) == "open")
        #expect(try reversed.carry("Blocked", from: .right) == "open")
    }
}
