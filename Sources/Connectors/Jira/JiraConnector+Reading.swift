import Ledger

extension JiraConnector {
    /// What reading a set of issues by key found.
    public struct IssueReading: Sendable {
        /// The observations of the issues that exist, in no particular order.
        public var found: [NewEvent] = []
        /// The keys no issue answers to: deleted, or never there.
        public var missing: [String] = []
    }

    /// The issues with `keys`, read 100 at a time through a search for `key in (…)`, each
    /// observation marked as coming from `source`.
    ///
    /// Jira refuses the whole search when one key names no issue, so a refused chunk is read
    /// again issue by issue, each missing issue answering 404.
    public func issues(_ keys: [String], source: String = "audit") async throws -> IssueReading {
        var reading = IssueReading()
        for start in stride(from: 0, to: keys.count, by: 100) {
            let chunk = Array(keys[start..<min(start + 100, keys.count)])
            let answer: Value
            do {
                answer = try await send(
                    "POST", "/rest/api/3/search/jql",
                    body: [
                        "jql": .string("key in (\(chunk.joined(separator: ", ")))"),
                        "fields": ["*all"], "maxResults": 100,
                    ])
            } catch let error as ConnectorError where error.lastStatus == 400 {
                for key in chunk {
                    if let event = try await issueIfPresent(key, source: source) {
                        reading.found.append(event)
                    } else {
                        reading.missing.append(key)
                    }
                }
                continue
            }
            var seen: Set<String> = []
            for issue in answer["issues"]?.arrayValue ?? [] {
                let event = try observation(of: issue, source: source)
                seen.insert(event.record!.remoteID)
                reading.found.append(event)
            }
            reading.missing += chunk.filter { !seen.contains($0) }
        }
        return reading
    }

    /// The issue with `key` observed now (from `source`), or `nil` when Jira answers 404.
    public func issueIfPresent(_ key: String, source: String = "audit") async throws -> NewEvent? {
        do {
            return try observation(
                of: try await send("GET", "/rest/api/3/issue/\(key)"), source: source)
        } catch let error as ConnectorError where error.lastStatus == 404 {
            return nil
        }
    }

    /// Every issue of the project whose field `fieldID` holds a value, with that value: how
    /// an audit finds two issues made for one source record, whether the ledger saw them or
    /// not.
    public func issues(withField fieldID: String) async throws -> [(key: String, value: String)] {
        let clause = fieldID.hasPrefix("customfield_") ? "cf[\(fieldID.dropFirst(12))]" : fieldID
        let first = try await request(
            "POST", "/rest/api/3/search/jql",
            body: [
                "jql": .string("project = \(projectKey) AND \(clause) is not EMPTY ORDER BY key"),
                "fields": .array([.string(fieldID)]), "maxResults": 100,
            ])
        var found: [(String, String)] = []
        for try await page in client.pages(from: first, .pageToken(items: "issues")) {
            for issue in page.items {
                guard let key = issue["key"]?.stringValue,
                    let value = issue["fields"]?[fieldID]?.stringValue
                else {
                    continue
                }
                found.append((key, value))
            }
        }
        return found
    }
}
