import Synchronization

/// What the connectors have learnt of Jira workflows, kept between calls so that moving an
/// issue costs one request per step instead of a read of its status and of its transitions
/// before each one.
///
/// Knowledge is kept per site, project and issue type: the transitions that leave each status
/// (by the status they lead to), and the status new issues start in. It is only ever a guess
/// about the provider: a transition it suggests that Jira refuses makes the connector forget
/// what it knew of that issue type and find its way again by asking. Safe to share between
/// tasks.
public final class JiraWorkflow: Sendable {
    /// One transition out of a status.
    public struct Step: Sendable, Hashable {
        /// The transition's id, as `POST .../transitions` takes it.
        public var id: String
        /// The name of the status it leads to.
        public var to: String

        /// Creates a step.
        public init(id: String, to: String) {
            self.id = id
            self.to = to
        }
    }

    private struct Known {
        var steps: [String: [Step]] = [:]
        var initial: [String: String] = [:]
    }

    private let known = Mutex(Known())

    /// A workflow that knows nothing yet.
    public init() {}

    /// The transitions known to leave `status` for issues of `scope`, if they were learnt.
    public func steps(from status: String, in scope: String) -> [Step]? {
        known.withLock { $0.steps[scope + "\u{0}" + status] }
    }

    /// Remembers the transitions that leave `status` for issues of `scope`.
    public func learn(_ steps: [Step], from status: String, in scope: String) {
        known.withLock { $0.steps[scope + "\u{0}" + status] = steps }
    }

    /// The status new issues of `scope` start in, if it was learnt.
    public func initialStatus(in scope: String) -> String? {
        known.withLock { $0.initial[scope] }
    }

    /// Remembers the status new issues of `scope` start in.
    public func learnInitialStatus(_ status: String, in scope: String) {
        known.withLock { $0.initial[scope] = status }
    }

    /// Forgets everything known of `scope`: Jira refused a step it suggested.
    public func forget(_ scope: String) {
        known.withLock { known in
            known.initial[scope] = nil
            known.steps = known.steps.filter { !$0.key.hasPrefix(scope + "\u{0}") }
        }
    }
}
