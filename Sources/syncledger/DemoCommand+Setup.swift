import Connectors
import Foundation
import Ledger
import Mapping

extension DemoCommand.Run {
    /// The configuration the demo applies: every ticket gets an issue; subject and summary
    /// by last writer, priority owned by Zendesk, status both ways, tags and labels merged.
    func configurationText() -> String {
        """
        # The demo's configuration: Zendesk tickets and Jira issues kept in step both ways,
        # against the local sandbox. Credentials and webhook secrets are in the vault.
        connections:
          zendesk:
            provider: zendesk
            baseURL: \(sandbox.zendeskServer.baseURL)
            auth: oauth
            credential: zendesk
            webhookSecret: vault:zendesk-webhook
          jira:
            provider: jira
            baseURL: \(sandbox.jiraServer.baseURL)
            auth: oauth
            credential: jira
            project: SUP
            webhookSecret: vault:jira-webhook

        pairs:
          - name: support
            left: zendesk:ticket
            right: jira:issue
            direction: leftToRight   # every ticket gets an issue
            fields:
              - left: subject
                right: summary         # last writer wins
              - left: description
                right: description
                format: {left: text, right: adf}
                authority: owner:zendesk
              - left: priority
                right: priority
                values: {urgent: Highest, high: High, normal: Medium, low: Low}
                default: {left: normal, right: Medium}
                authority: owner:zendesk
              - left: status
                right: status
                values: {new: To Do, open: To Do, pending: In Progress, hold: In Progress, solved: Done, closed: Done}
                reverse: {To Do: open, In Progress: pending, Done: solved}
              - left: tags
                right: labels
                authority: mergeSet
              - right: {customField: Zendesk ticket}
                template: "{id}"
              - right: issuetype
                constant: Task

        """ + Self.agentPolicy
    }

    /// Step 1: the sandbox, the configuration, both connections through OAuth, the
    /// configuration applied, the engine opened, and both systems' webhooks pointed at it.
    func setUp() async throws {
        say(
            "SyncLedger demo: the sync engine keeps Zendesk tickets and Jira issues in step, "
                + "against the local sandbox.")
        say("Every number below is measured in this run.")
        heading("1. Setup")
        let window = DemoSandbox.windowSeconds
        say(
            "Sandbox   Zendesk at \(sandbox.zendeskServer.baseURL) with "
                + "\(Self.count(tickets)) tickets; Jira at \(sandbox.jiraServer.baseURL) with "
                + "no issues")
        say(
            "          rate limits on, per \(window) s window: Zendesk "
                + "\(DemoSandbox.zendeskLimit) requests (export \(DemoSandbox.exportLimit)), "
                + "Jira \(DemoSandbox.jiraLimit) (\(DemoSandbox.perIssueLimit) writes per issue)")
        say("Ledger    \(ledger) (fresh)")
        guard
            FileManager.default.createFile(
                atPath: configurationPath, contents: Data(configurationText().utf8))
        else {
            throw DemoError("\(configurationPath) cannot be written")
        }
        say(
            "Config    \(configurationPath): every ticket gets an issue; subject and summary "
                + "by last writer, priority owned by Zendesk, status both ways, tags and labels "
                + "merged")

        for (name, system) in [("zendesk", DemoSystem.zendesk), ("jira", .jira)] {
            let provider = sandbox.oauthProvider(system)
            let baseURL =
                system == .zendesk ? sandbox.zendeskServer.baseURL : sandbox.jiraServer.baseURL
            let words = [
                "connect", name, "--provider", name, "--base-url", baseURL, "--client-id",
                provider.clientID, "--client-secret", provider.clientSecret, "--fetch",
                "--ledger", ledger,
            ]
            shell(words)
            guard await Tool.main(words) == ExitStatus.success else {
                throw DemoError("the connection \(name) was not authorised")
            }
        }
        let apply = ["apply", configurationPath, "--ledger", ledger]
        shell(apply)
        guard await Tool.main(apply) == ExitStatus.success else {
            throw DemoError("the configuration was not applied")
        }
        file = try ConfigurationFile(text: configurationText(), path: configurationPath)
        try open()

        try await registerWebhooks()
        ticketIDs = try await sandbox.ticketIDs()
    }

    /// Registers a webhook with each system, as an administrator does once, and keeps each
    /// signing secret in the vault under the name the configuration gives
    /// (`syncledger secret` does the same from standard input).
    func registerWebhooks() async throws {
        let vault = try engine.engine.connections.vault
        let created = try await sandbox.call(
            .zendesk, "POST", "/api/v2/webhooks.json",
            [
                "webhook": [
                    "name": "SyncLedger", "endpoint": .string(receiver.url(for: "zendesk")),
                    "http_method": "POST", "request_format": "json", "status": "active",
                    "subscriptions": ["conditional_ticket_events"],
                ]
            ])
        guard let id = created["webhook"]?["id"]?.stringValue else {
            throw DemoError("Zendesk answered a webhook registration without an id")
        }
        let signing = try await sandbox.call(
            .zendesk, "GET", "/api/v2/webhooks/\(id)/signing_secret.json")
        guard let zendeskSecret = signing["signing_secret"]?["secret"]?.stringValue else {
            throw DemoError("Zendesk gave no signing secret for webhook \(id)")
        }
        try vault.store(.secret(zendeskSecret), for: "zendesk-webhook")

        var random = SystemRandomNumberGenerator()
        let jiraSecret = (0..<4).map { _ in String(random.next(), radix: 16) }.joined()
        try await sandbox.call(
            .jira, "POST", "/rest/webhooks/1.0/webhook",
            [
                "name": "SyncLedger", "url": .string(receiver.url(for: "jira")),
                "events": ["jira:issue_created", "jira:issue_updated", "jira:issue_deleted"],
                "filters": ["issue-related-events-section": "project = SUP"],
                "secret": .string(jiraSecret),
            ])
        try vault.store(.secret(jiraSecret), for: "jira-webhook")
        say(
            "Webhooks  both systems deliver to \(receiver.server.baseURL)/webhooks/<connection>, "
                + "signed; the secrets are in the vault as zendesk-webhook and jira-webhook")
    }
}
