import Connectors
import Engine
import Foundation
import Ledger
import Reconcile
import Synchronization
import Testing

/// Reading the linked records back and naming how the providers drifted from the ledger.
@Suite("Auditing the live records against the ledger")
struct AuditTests {
    /// A scenario synced once, with its links by ticket id.
    func synced(tickets: Int = 6) async throws -> (EngineScenario, [String: RecordReference]) {
        let scenario = try await EngineScenario(tickets: tickets)
        let pass = try await scenario.engine.runOnce()
        #expect(pass.failed == 0)
        var issues: [String: RecordReference] = [:]
        for link in try SyncQueries(scenario.store).links(pair: "support") {
            issues[link.left.remoteID] = link.right
        }
        return (scenario, issues)
    }

    @Test func aConvergedSyncAuditsClean() async throws {
        let (scenario, issues) = try await synced()
        let audit = Audit(engine: scenario.engine)
        let seen = Tally()
        let report = try await audit.run { read, total in seen.add(read, total) }
        #expect(report.links == issues.count)
        #expect(report.recordsRead == 2 * issues.count)
        #expect(report.isClean, "\(report.findings)")
        #expect(seen.last?.read == 2 * issues.count)
        #expect(seen.last?.total == 2 * issues.count)
        try await audit.record(report)
        let events = try scenario.log.read(from: .zero, limit: 100_000)
        #expect(!events.contains { $0.kind == .auditFound })
    }

    @Test func eachKindOfDriftIsFoundAndRecorded() async throws {
        let (scenario, issues) = try await synced()
        let ids = issues.keys.sorted { Int($0)! < Int($1)! }
        let jira = try scenario.jira()
        let zendesk = try scenario.zendesk()

        // An edit in Jira that no poll or webhook brought in.
        let edited = issues[ids[0]]!
        _ = try await jira.update(edited.remoteID, ["summary": "Renamed behind the ledger"])
        // An issue deleted by hand.
        let removed = issues[ids[1]]!
        #expect(
            try await scenario.send("DELETE", "/rest/api/3/issue/\(removed.remoteID)", to: "jira")
                == 204
        )
        // A second issue made for one ticket outside the engine.
        let twin = try await jira.create(["summary": "Twin", "customfield_10100": .string(ids[2])])
        // A change the ledger observed but whose write was never made.
        let urgent = try await zendesk.update(ids[3], ["priority": "urgent"])
        _ = try await scenario.log.append(AppendBatch(urgent))

        let audit = Audit(engine: scenario.engine)
        let report = try await audit.run()
        let kinds = Dictionary(grouping: report.findings, by: \.kind)

        let unobserved = try #require(kinds[.unobservedChange]?.only)
        #expect(unobserved.record == edited)
        #expect(unobserved.field == "summary")
        #expect(unobserved.live == "Renamed behind the ledger")
        #expect(unobserved.ledger != unobserved.live)

        let missing = try #require(kinds[.counterpartMissing]?.only)
        #expect(missing.record == removed)
        #expect(missing.counterpart?.remoteID == ids[1])

        let duplicate = try #require(kinds[.duplicateCounterparts]?.only)
        #expect(duplicate.record.remoteID == ids[2])
        #expect(Set(duplicate.duplicates) == [issues[ids[2]]!, twin.record])
        #expect(duplicate.counterpart?.remoteID == ids[2])

        let differs = try #require(kinds[.differsFromDesired]?.only)
        #expect(differs.record == issues[ids[3]]!)
        #expect(differs.field == "priority")
        #expect(differs.desired == "Highest")

        try await audit.record(report)
        let recorded = try scenario.log.read(from: .zero, limit: 100_000).filter {
            $0.kind == .auditFound
        }
        #expect(recorded.count == 4)
        #expect(
            Set(recorded.compactMap { $0.body["finding"]?.stringValue })
                == Set(AuditFinding.Kind.allCases.map(\.rawValue)))
        #expect(recorded.contains { $0.record == edited && $0.body["field"] == "summary" })
    }

    @Test func repairRecordsWhatItReadAndTheEngineConverges() async throws {
        let (scenario, issues) = try await synced()
        let ids = issues.keys.sorted { Int($0)! < Int($1)! }
        let jira = try scenario.jira()
        let edited = issues[ids[0]]!
        _ = try await jira.update(edited.remoteID, ["summary": "Renamed behind the ledger"])
        let removed = issues[ids[1]]!
        #expect(
            try await scenario.send("DELETE", "/rest/api/3/issue/\(removed.remoteID)", to: "jira")
                == 204
        )

        let audit = Audit(engine: scenario.engine)
        let repair = try await audit.repair(try await audit.run())
        #expect(repair.observed == 1)
        #expect(repair.deleted == 1)
        #expect(repair.pass.failed == 0)
        // Summary is last writer wins: the Jira edit, now observed, reaches Zendesk; and the
        // ticket whose issue vanished is tagged, as the pair's onDelete says.
        #expect(repair.pass.updated == 2)
        let zendesk = try scenario.zendesk()
        let ticket = try #require(try await zendesk.ticket(ids[0]))
        #expect(ticket.body["fields"]?["subject"] == "Renamed behind the ledger")
        let orphan = try #require(try await zendesk.ticket(ids[1]))
        #expect(orphan.body["fields"]?["tags"]?.arrayValue?.contains("syncledger-deleted") == true)

        let again = try await audit.run()
        #expect(again.isClean, "\(again.findings)")
        let state = try #require(try SyncQueries(scenario.store).record(removed))
        #expect(state.isDeleted)
        let observed = try scenario.log.read(from: .zero, limit: 100_000).filter {
            $0.record == edited && $0.body["source"] == "audit"
        }
        #expect(observed.count == 1)
    }

    @Test func readsMoreThanOneRequestsWorthAndAMissingKeyInAChunk() async throws {
        let (scenario, issues) = try await synced(tickets: 200)
        try #require(issues.count > 100)
        let removed = issues[issues.keys.max { Int($0)! < Int($1)! }!]!
        #expect(
            try await scenario.send("DELETE", "/rest/api/3/issue/\(removed.remoteID)", to: "jira")
                == 204
        )
        let report = try await Audit(engine: scenario.engine).run()
        #expect(report.recordsRead == 2 * issues.count)
        #expect(report.findings.map(\.kind) == [.counterpartMissing])
        #expect(report.findings.first?.record == removed)
        #expect(report.live.count == 2 * issues.count - 1)
    }
}

/// The last progress reported.
final class Tally: Sendable {
    private let state = Mutex<(Int, Int)?>(nil)

    func add(_ read: Int, _ total: Int) {
        state.withLock { $0 = (read, total) }
    }

    var last: (read: Int, total: Int)? { state.withLock { $0 } }
}

extension Array {
    /// The one element, when there is exactly one.
    fileprivate var only: Element? { count == 1 ? first : nil }
}
