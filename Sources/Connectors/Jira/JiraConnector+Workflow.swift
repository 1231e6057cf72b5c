import Ledger

/// Writes that spend as few requests as Jira allows: issues created in bulk, edits that answer
/// with the issue, and statuses reached one transition per step with what a ``JiraWorkflow``
/// has learnt.
extension JiraConnector {
    /// What became of one issue of a bulk create.
    public enum BulkCreated: Sendable {
        /// Created, in the status its fields name (if they name one): its key.
        case created(String)
        /// Created, but not moved to the status its fields name: its key, and why not.
        case notMoved(String, ConnectorError)
        /// Refused: the provider's reason.
        case refused(ConnectorError)
    }

    /// Creates up to 50 issues in one request (``createMany(_:)``), then moves each one created
    /// to the status its fields name, if any, with at most `movesInFlight` issues moving at
    /// once; returns what became of each issue, in order.
    ///
    /// New issues of a type start in the same status, read from the first of them once and
    /// then known to `workflow`.
    public func createMany(
        _ issues: [ValueObject], workflow: JiraWorkflow, movesInFlight: Int = 4
    ) async throws -> [BulkCreated] {
        let results = try await createMany(issues)
        var moves: [(key: String, type: String, status: String)] = []
        for (index, result) in results.enumerated() {
            guard case .success(let key) = result,
                case .string(let status)? = issues[index]["status"]
            else {
                continue
            }
            moves.append((key, issues[index]["issuetype"]?.stringValue ?? "Task", status))
        }

        var initial: [String: String] = [:]
        for move in moves where initial[move.type] == nil {
            let scope = workflowScope(move.type)
            if let known = workflow.initialStatus(in: scope) {
                initial[move.type] = known
            } else if let read = try? await status(of: move.key) {
                workflow.learnInitialStatus(read, in: scope)
                initial[move.type] = read
            }
        }

        let failedMoves = try await withThrowingTaskGroup(
            of: (String, ConnectorError?).self
        ) { group in
            var waiting = moves.makeIterator()
            func start() {
                guard let move = waiting.next() else {
                    return
                }
                let from = initial[move.type]
                group.addTask {
                    do {
                        try await self.move(
                            move.key, type: move.type, from: from, to: move.status,
                            workflow: workflow)
                        return (move.key, nil)
                    } catch let error as ConnectorError {
                        return (move.key, error)
                    }
                }
            }
            for _ in 0..<max(movesInFlight, 1) {
                start()
            }
            var failed: [String: ConnectorError] = [:]
            while let (key, error) = try await group.next() {
                failed[key] = error
                start()
            }
            return failed
        }
        return results.map { result in
            switch result {
            case .success(let key):
                failedMoves[key].map { .notMoved(key, $0) } ?? .created(key)
            case .failure(let error):
                .refused(error)
            }
        }
    }

    /// Edits only `fields` of issue `key`, taking the issue back in the same answer
    /// (`returnIssue=true`), and moves it to the status `fields` names, if any, through
    /// `workflow`'s transitions; returns its observation afterwards.
    ///
    /// An edit alone is one request; a status change adds one per step and a read of the
    /// issue at the end.
    public func update(_ key: String, _ fields: ValueObject, workflow: JiraWorkflow)
        async throws -> NewEvent
    {
        var answer: Value = .null
        let edited = Self.fieldsBody(fields)
        if !edited.isEmpty {
            answer = try await send(
                "PUT", "/rest/api/3/issue/\(key)?returnIssue=true",
                body: ["fields": .object(edited)])
        }
        if case .string(let target)? = fields["status"] {
            let shown =
                answer == .null
                ? try await send("GET", "/rest/api/3/issue/\(key)?fields=status,issuetype")
                : answer
            let current = shown["fields"]?["status"]?["name"]?.stringValue
            if current != target {
                try await move(
                    key, type: shown["fields"]?["issuetype"]?["name"]?.stringValue ?? "",
                    from: current, to: target, workflow: workflow)
                answer = .null
            }
        }
        if answer == .null {
            answer = try await send("GET", "/rest/api/3/issue/\(key)")
        }
        return try observation(of: answer, source: "writeResponse")
    }

    /// Moves issue `key`, of issue type `type`, from `status` (read when `nil`) to `target`:
    /// one `POST .../transitions` per step where `workflow` knows the transitions out of a
    /// status, and one read of them where it does not yet. Each step takes a transition that
    /// leads to `target` directly, or else one to a status not yet passed.
    ///
    /// When Jira refuses a step `workflow` suggested, what it knew of the issue type is
    /// forgotten and the move is finished by ``transition(_:to:)``, which reads before each
    /// step. Throws ``ConnectorError`` when no path leads there.
    public func move(
        _ key: String, type: String, from status: String?, to target: String,
        workflow: JiraWorkflow
    ) async throws {
        let scope = workflowScope(type)
        var current: String
        if let status {
            current = status
        } else {
            current = try await self.status(of: key)
        }
        var passed: Set<String> = []
        for _ in 0..<6 {
            guard current != target else {
                return
            }
            passed.insert(current)
            let steps: [JiraWorkflow.Step]
            if let known = workflow.steps(from: current, in: scope) {
                steps = known
            } else {
                steps = try await transitions(of: key)
                workflow.learn(steps, from: current, in: scope)
            }
            guard
                let step = steps.first(where: { $0.to == target })
                    ?? steps.first(where: { !passed.contains($0.to) })
            else {
                break
            }
            do {
                _ = try await send(
                    "POST", "/rest/api/3/issue/\(key)/transitions",
                    body: ["transition": ["id": .string(step.id)]])
            } catch let error as ConnectorError where error.lastStatus == 400 {
                workflow.forget(scope)
                try await transition(key, to: target)
                return
            }
            current = step.to
        }
        throw ConnectorError(
            request: "POST \(baseURL)/rest/api/3/issue/\(key)/transitions", attempts: 1,
            lastStatus: nil, detail: "no path of transitions leads \(key) to '\(target)'")
    }

    /// The name of issue `key`'s status, read now.
    public func status(of key: String) async throws -> String {
        let shown = try await send("GET", "/rest/api/3/issue/\(key)?fields=status")
        guard let name = shown["fields"]?["status"]?["name"]?.stringValue else {
            throw ConnectorError(
                request: "GET \(baseURL)/rest/api/3/issue/\(key)?fields=status", attempts: 1,
                lastStatus: 200, detail: "the answer names no status")
        }
        return name
    }

    /// The transitions open to issue `key` now, each with the status it leads to.
    public func transitions(of key: String) async throws -> [JiraWorkflow.Step] {
        let answer = try await send("GET", "/rest/api/3/issue/\(key)/transitions")
        return (answer["transitions"]?.arrayValue ?? []).compactMap { transition in
            guard
                let id = transition["id"]?.stringValue
                    ?? transition["id"]?.integerValue.map({ String($0) }),
                let to = transition["to"]?["name"]?.stringValue
            else {
                return nil
            }
            return JiraWorkflow.Step(id: id, to: to)
        }
    }

    /// Where ``JiraWorkflow`` keeps what it learns of issues of `type` here: the site, the
    /// project and the type.
    func workflowScope(_ type: String) -> String {
        "\(baseURL) \(projectKey) \(type)"
    }
}
