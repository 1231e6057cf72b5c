/// The fewest calls a sync needs, and the time the scaled limits need to allow them: the
/// ceiling a phase is measured against.
///
/// The calls are counted with the bulk endpoints the providers have: Jira creates 50 issues
/// per request, Zendesk updates 100 tickets per `update_many` job (whose status is read once);
/// reads go 1,000 tickets per export page and 100 issues per search page. Jira has no
/// per-issue-value bulk edit, and a status is reached only through transitions, one call per
/// step of the workflow (To Do → In Progress → Done); an edit that asks for the issue back
/// (`returnIssue=true`) needs no read after it. Every record written or changed must be read
/// once by a poll, which is how the ledger learns what each side holds.
///
/// The providers are called at once, so a phase's ceiling time is the longest any one
/// budget needs: its calls over its limit spread evenly over the window.
struct SyncCeiling {
    /// The limits the calls are spent against.
    let limits: ScaledLimits

    /// The calls one phase needs, per budget, and the time the tightest budget needs.
    struct Phase {
        var zendesk = 0
        var export = 0
        var jira = 0
        /// Jira calls of each kind, for the report.
        var jiraKinds: [(String, Int)] = []
        var seconds = 0.0

        /// One line: the calls and the time the ceiling allows them.
        func describe(_ phase: String) -> String {
            let kinds = jiraKinds.map { "\($0.1) \($0.0)" }.joined(separator: ", ")
            return "  \(phase) ceiling: \(fixed(seconds, decimals: 2)) s for Jira \(jira) "
                + "calls (\(kinds)), Zendesk \(zendesk) calls and \(export) export pages"
        }
    }

    /// Steps of the workflow from To Do to the status a ticket's status maps to.
    static func transitions(fromTicketStatus status: String) -> Int {
        switch status {
        case "pending", "hold": 1
        case "solved", "closed": 2
        default: 0
        }
    }

    /// `count` items in pages of `size`: at least one page.
    static func pages(_ count: Int, of size: Int) -> Int {
        max((count + size - 1) / size, 1)
    }

    /// The backfill of tickets with `statuses`: the export, bulk creates, the transitions to
    /// each status, and a search reading every new issue.
    func backfill(statuses: [String]) -> Phase {
        let creates = Self.pages(statuses.count, of: 50)
        let transitions = statuses.reduce(0) { $0 + Self.transitions(fromTicketStatus: $1) }
        let searches = Self.pages(statuses.count, of: 100)
        var phase = Phase(
            zendesk: 0, export: Self.pages(statuses.count, of: 1_000),
            jira: creates + transitions + searches,
            jiraKinds: [
                ("bulk creates", creates), ("transitions", transitions),
                ("search pages", searches),
            ])
        phase.seconds = seconds(phase)
        return phase
    }

    /// Carrying `onZendesk` changes to Jira (one edit each) and `onJira` changes to Zendesk
    /// (in jobs), with the polls that read both the changes and the writes that carried them.
    func changes(onZendesk: Int, onJira: Int) -> Phase {
        let jobs = Self.pages(onJira, of: 100)
        let searches = Self.pages(onZendesk + onJira, of: 100)
        var phase = Phase(
            zendesk: 2 * jobs, export: Self.pages(onZendesk + onJira, of: 1_000),
            jira: onZendesk + searches,
            jiraKinds: [("edits", onZendesk), ("search pages", searches)])
        phase.seconds = seconds(phase)
        return phase
    }

    private func seconds(_ phase: Phase) -> Double {
        max(
            Double(phase.jira) / limits.perSecond(limits.jira),
            Double(phase.zendesk) / limits.perSecond(limits.zendesk),
            Double(phase.export) / limits.perSecond(limits.export))
    }
}
