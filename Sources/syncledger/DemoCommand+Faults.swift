import Connectors
import Engine
import Foundation
import Ledger

extension DemoCommand.Run {
    /// The share of API requests the storm answers 429.
    static let stormRate = 0.2
    /// The seed of the storm's draws: with it, the first request each system answers in the
    /// storm is a 429, so every run shows at least one.
    static let stormSeed: Int64 = 190
    /// How many tickets change before the storm's pass.
    static let stormTickets = 5

    /// Step 6: a storm of 429 answers during a pass; every retry waits as told and the pass
    /// still completes.
    func weatherStorm() async throws {
        heading("6. A storm of 429 answers")
        let session = try engine
        let changed = try openTickets(Self.stormTickets, besides: [ticket])
        let mark = try session.log.lastSequence()
        let edited = ContinuousClock.now
        for (id, _) in changed {
            try await sandbox.call(
                .zendesk, "PUT", "/api/v2/tickets/\(id).json", ["ticket": ["priority": "urgent"]])
        }
        say("The agent sets \(changed.count) more tickets to urgent; their webhooks arrive:")
        for (id, _) in changed {
            let record = RecordReference(connection: "zendesk", recordType: "ticket", remoteID: id)
            let event = try await session.waitForEvent(after: mark) {
                $0.isWebhookObservation(of: record) && $0.body["fields"]?["priority"] == "urgent"
            }
            check(event != nil, "the webhook for ticket \(id) arrived")
        }
        say(
            "  all \(changed.count) recorded \(Self.seconds(ContinuousClock.now - edited)) "
                + "after the first edit")

        let storm: Value = [
            "rateLimitStormRate": .decimal(
                DecimalNumber(significand: Int64(Self.stormRate * 100), exponent: -2)!),
            "seed": .integer(Self.stormSeed),
        ]
        try await sandbox.setFaults(.zendesk, storm)
        try await sandbox.setFaults(.jira, storm)
        say(
            "Both systems now answer \(Int(Self.stormRate * 100))% of API requests with 429 and "
                + "Retry-After (PUT /_sandbox/faults).")
        let requestsBefore = transport.total
        let refusedBefore = (
            transport.answers(.zendesk, status: 429), transport.answers(.jira, status: 429)
        )
        let report = try await pass()
        let calm: Value = ["rateLimitStormRate": 0]
        try await sandbox.setFaults(.zendesk, calm)
        try await sandbox.setFaults(.jira, calm)

        let refused = (
            transport.answers(.zendesk, status: 429) - refusedBefore.0,
            transport.answers(.jira, status: 429) - refusedBefore.1
        )
        say(
            "  \(Self.count(transport.total - requestsBefore)) answers, of which 429: Zendesk "
                + "\(refused.0), Jira \(refused.1); each retry waited out its Retry-After "
                + "(\(DemoSandbox.windowSeconds) s), so the pass took longer but gave nothing up")
        var carried = 0
        for (_, key) in changed {
            let priority = try await sandbox.call(
                .jira, "GET", "/rest/api/3/issue/\(key)?fields=priority")["fields"]?["priority"]?[
                    "name"]
            carried += priority == "Highest" ? 1 : 0
        }
        say(
            "  \(carried) of \(changed.count) issues are Highest now; \(report.failed) writes failed"
        )
        check(carried == changed.count && report.failed == 0, "the storm's pass completed")
        check(refused.0 + refused.1 > 0, "the storm answered 429 at least once")
    }

    /// Step 7: both access tokens expire; the engine refreshes them and records it.
    func refreshTokens() async throws {
        heading("7. The access tokens expire")
        let session = try engine
        let vault = session.engine.connections.vault
        guard case .oauth(let zendesk)? = vault.credential(for: "zendesk"),
            case .oauth(let jira)? = vault.credential(for: "jira")
        else {
            throw DemoError("the vault holds no OAuth tokens")
        }
        let lifetime = max(
            sandbox.zendesk.accessTokenLifetime, sandbox.jira.accessTokenLifetime)
        sandbox.tokenClock.advance(seconds: lifetime + 60)
        say(
            "The token clock, which the sandbox's OAuth authorities and the engine's sessions "
                + "read, moves \((lifetime + 60) / 60) minutes on, past both tokens' lifetimes "
                + "(Zendesk \(sandbox.zendesk.accessTokenLifetime / 60) min, Jira "
                + "\(sandbox.jira.accessTokenLifetime / 60) min).")
        let cloud = "/ex/jira/\(sandbox.jira.cloudId)/rest/api/3/myself"
        let oldZendesk = try await sandbox.status(
            .zendesk, "/api/v2/tickets/\(ticket).json", bearer: zendesk.accessToken)
        let oldJira = try await sandbox.status(.jira, cloud, bearer: jira.accessToken)
        say("  the old tokens are refused now: Zendesk answers \(oldZendesk), Jira \(oldJira)")
        check(oldZendesk == 401 && oldJira == 401, "the expired tokens are refused")

        let mark = try session.log.lastSequence()
        let report = try await pass()
        let refreshed = try session.events(after: mark).filter {
            $0.kind == .connectionChanged && $0.body["change"] == "refreshed"
        }
        for event in refreshed {
            say(
                "  event \(event.sequence): connectionChanged, \(Value.show(event.body["connection"])) "
                    + "refreshed, new token until \(event.body["expiresAt"]?.stringValue ?? "?")")
        }
        guard case .oauth(let newZendesk)? = vault.credential(for: "zendesk"),
            case .oauth(let newJira)? = vault.credential(for: "jira")
        else {
            throw DemoError("the vault lost its OAuth tokens")
        }
        let newZendeskStatus = try await sandbox.status(
            .zendesk, "/api/v2/tickets/\(ticket).json", bearer: newZendesk.accessToken)
        let newJiraStatus = try await sandbox.status(.jira, cloud, bearer: newJira.accessToken)
        say(
            "  the rotated tokens are in the vault and work: Zendesk answers "
                + "\(newZendeskStatus), Jira \(newJiraStatus)")
        check(refreshed.count == 2, "both connections recorded a refresh")
        check(
            report.failed == 0 && newZendeskStatus == 200 && newJiraStatus == 200,
            "the pass after the expiry completed with fresh tokens")
    }

    /// Step 8: a webhook is lost; the next poll finds the change anyway.
    func catchLostWebhook() async throws {
        heading("8. A webhook is lost")
        let session = try engine
        let before = try await ticketFields()["subject"]?.stringValue ?? ""
        let summary = before + " (reproduced)"
        try await sandbox.setFaults(.jira, ["webhookDropRate": 1])
        let mark = try session.log.lastSequence()
        let edited = ContinuousClock.now
        try await sandbox.call(
            .jira, "PUT", "/rest/api/3/issue/\(issue)", ["fields": ["summary": .string(summary)]])
        try await sandbox.setFaults(.jira, ["webhookDropRate": 0])
        say(
            "The engineer renames \(issue) while Jira drops every webhook "
                + "(webhookDropRate 1 for this one edit).")
        let arrived = try await session.waitForEvent(after: mark, timeout: .seconds(1)) {
            $0.isWebhookObservation(of: self.issueRecord)
        }
        say(
            "  after \(Self.seconds(ContinuousClock.now - edited)): "
                + (arrived == nil ? "no webhook came" : "a webhook came after all"))
        check(arrived == nil, "the webhook was lost")

        let report = try await pass()
        let polled = try session.events(after: mark).first {
            $0.kind == .observed && $0.record == issueRecord && $0.body["source"] == "poll"
                && $0.body["fields"]?["summary"]?.stringValue == summary
        }
        if let polled {
            say("  Jira's search found the rename: observed by polling as event \(polled.sequence)")
        }
        let after = try await ticketFields()["subject"]?.stringValue ?? ""
        say(
            "  Zendesk ticket \(ticket) subject: \"\(after)\", "
                + "\(Self.seconds(ContinuousClock.now - edited)) after the edit")
        check(
            polled != nil && after == summary && report.failed == 0,
            "polling carried the rename to Zendesk")
        say(
            "  (A lost Zendesk webhook is caught the same way, but a minute later: the incremental "
                + "export leaves out the last minute, which may still be reordered.)")
    }
}
