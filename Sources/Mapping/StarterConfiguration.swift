/// The commented starter files `syncledger init` writes: Zendesk tickets and Jira issues kept
/// in step both ways.
public enum StarterConfiguration {
    /// Where the starter's connections point, and how they are authorised.
    public struct Endpoints: Sendable {
        /// Zendesk's base URL.
        public var zendesk: String
        /// Jira's base URL.
        public var jira: String
        /// `oauth` or `apiToken`.
        public var auth: Connection.AuthKind
        /// The Jira project key.
        public var project: String

        /// Creates endpoints.
        public init(zendesk: String, jira: String, auth: Connection.AuthKind, project: String) {
            self.zendesk = zendesk
            self.jira = jira
            self.auth = auth
            self.project = project
        }

        /// Placeholders for real accounts.
        public static let accounts = Endpoints(
            zendesk: "https://your-subdomain.zendesk.com",
            jira: "https://your-site.atlassian.net", auth: .oauth, project: "SUP")
    }

    /// The starter file for `endpoints`; `sandbox` says in its comments that it targets a
    /// local sandbox.
    public static func text(for endpoints: Endpoints, sandbox: Bool = false) -> String {
        let intro =
            sandbox
            ? """
            # SyncLedger configuration for the local sandbox (syncledger sandbox). Its
            # credentials are in the vault under the names below: syncledger init --sandbox
            # put them there, so everything works offline.
            """
            : """
            # SyncLedger configuration: Zendesk tickets and Jira issues kept in step both ways.
            # Authorise each connection first (syncledger connect <name> ...); this file only
            # names the vault entries, never a secret. Check it with: syncledger check
            """
        return """
            \(intro)

            connections:
              zendesk:
                provider: zendesk
                baseURL: \(endpoints.zendesk)
                auth: \(endpoints.auth.rawValue)      # oauth or apiToken
                credential: zendesk  # the vault entry syncledger connect wrote
                webhookSecret: vault:zendesk-webhook
                pollEvery: 30s
              jira:
                provider: jira
                baseURL: \(endpoints.jira)
                auth: \(endpoints.auth.rawValue)
                credential: jira
                project: \(endpoints.project)         # issues are created in this project
                pollEvery: 30s

            pairs:
              - name: support
                left: zendesk:ticket
                right: jira:issue
                direction: leftToRight   # tickets get issues; both | leftToRight | rightToLeft
                onDelete: tag            # close | tag | ignore
                filter:
                  left:
                    status: [new, open, pending, hold]
                fields:
                  - left: subject
                    right: summary
                  - left: description
                    right: description
                    format: {left: text, right: adf}
                    authority: owner:zendesk
                  - left: priority
                    right: priority
                    values: {urgent: Highest, high: High, normal: Medium, low: Low}
                    default: {left: normal, right: Medium}
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

            """
    }
}
