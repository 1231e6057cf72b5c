import Foundation
import HTTPServer
import Ledger
import Sandbox
import Testing

extension JiraEmulatorTests {
    // MARK: - Search

    @Test func searchPagesWithATokenUntilTheLastPage() async throws {
        let sandbox = try JiraSandbox()
        var ids: [String] = []
        var token: String?
        var pages = 0
        repeat {
            var query = [("jql", "project = SUP ORDER BY key"), ("maxResults", "20")]
            if let token {
                query.append(("nextPageToken", token))
            }
            let page = try await sandbox.send("GET", "/rest/api/3/search/jql", query: query)
            #expect(page.status == 200)
            #expect(page.body["total"] == nil)
            let issues = page.body["issues"]?.arrayValue ?? []
            #expect(issues.allSatisfy { $0.objectValue?.keys == ["id"] }, "ids only by default")
            ids += issues.compactMap { $0["id"]?.stringValue }
            token = page.body["nextPageToken"]?.stringValue
            #expect((page.body["isLast"] == true) == (token == nil))
            pages += 1
        } while token != nil && pages < 10
        #expect(pages == 3)
        #expect(ids == (10_000..<10_050).map(String.init))

        let tampered = try await sandbox.send(
            "GET", "/rest/api/3/search/jql",
            query: [("jql", "project = SUP ORDER BY updated"), ("nextPageToken", "bm9wZQ")])
        #expect(tampered.status == 400)
    }

    @Test func laterPagesShowIssuesChangedAfterTheFirst() async throws {
        let sandbox = try JiraSandbox()
        let jql = "project = SUP AND labels = rechecked ORDER BY key"
        func page(_ token: String?) async throws -> (keys: [String], next: String?) {
            var body: ValueObject = ["jql": .string(jql), "maxResults": 1, "fields": ["labels"]]
            body["nextPageToken"] = token.map(Value.string)
            let answer = try await sandbox.send(
                "POST", "/rest/api/3/search/jql", body: .object(body))
            return (
                answer.body["issues"]?.issueKeys ?? [], answer.body["nextPageToken"]?.stringValue
            )
        }
        for key in ["SUP-20", "SUP-30"] {
            let labelled = try await sandbox.send(
                "PUT", "/rest/api/3/issue/\(key)", json: #"{"fields":{"labels":["rechecked"]}}"#)
            #expect(labelled.status == 204)
        }
        let first = try await page(nil)
        #expect(first.keys == ["SUP-20"])
        // Labelled between pages: the second page is read from the issues as they are now.
        _ = try await sandbox.send(
            "PUT", "/rest/api/3/issue/SUP-25", json: #"{"fields":{"labels":["rechecked"]}}"#)
        let second = try await page(first.next)
        #expect(second.keys == ["SUP-25"])
        let third = try await page(second.next)
        #expect(third.keys == ["SUP-30"] && third.next == nil)
    }

    @Test func aPeriodInTheQueryIsCountedFromEachSearchsOwnTime() async throws {
        let sandbox = try JiraSandbox()
        let search: Value = ["jql": "project = SUP AND updated >= -1m", "maxResults": 100]
        sandbox.clock.advance(seconds: 600)
        _ = try await sandbox.send(
            "PUT", "/rest/api/3/issue/SUP-4", json: #"{"fields":{"summary":"Recent"}}"#)
        let recent = try await sandbox.send("POST", "/rest/api/3/search/jql", body: search)
        #expect(recent.body["issues"]?.arrayValue?.count == 1)
        // Nothing changes, but the minute passes: the same query now selects nothing.
        sandbox.clock.advance(seconds: 120)
        let later = try await sandbox.send("POST", "/rest/api/3/search/jql", body: search)
        #expect(later.body["issues"]?.arrayValue?.isEmpty == true)
    }

    @Test func searchByPostReturnsTheRequestedFields() async throws {
        let sandbox = try JiraSandbox()
        let page = try await sandbox.send(
            "POST", "/rest/api/3/search/jql",
            body: [
                "jql": "project = SUP AND key in (SUP-1, sup-3) ORDER BY key DESC",
                "fields": ["summary", "labels"], "expand": "names",
            ])
        #expect(page.status == 200)
        let issues = page.body["issues"]?.arrayValue ?? []
        #expect(page.body["issues"]?.issueKeys == ["SUP-3", "SUP-1"])
        #expect(issues.allSatisfy { $0["fields"]?.objectValue?.keys == ["labels", "summary"] })
        #expect(page.body["isLast"] == true)
        #expect(page.body["nextPageToken"] == nil)
        #expect(page.body["names"] == ["labels": "Labels", "summary": "Summary"])

        let all = try await sandbox.send(
            "POST", "/rest/api/3/search/jql",
            json: #"{"jql":"key = SUP-7","fields":["*all"]}"#)
        let fields = try #require(all.body["issues"]?.arrayValue?.first?["fields"]?.objectValue)
        #expect(fields.keys.contains("description"))
        #expect(fields.keys.contains("customfield_10100"))
    }

    @Test func aSearchShowsEachIssueAsItIsNowNotAsItWasLastShown() async throws {
        let sandbox = try JiraSandbox()
        let search: Value = ["jql": "key = SUP-4", "fields": ["summary", "status"]]
        let before = try await sandbox.send("POST", "/rest/api/3/search/jql", body: search)
        let first = try #require(before.body["issues"]?.arrayValue?.first)

        sandbox.clock.advance(seconds: 1)
        _ = try await sandbox.send(
            "PUT", "/rest/api/3/issue/SUP-4", json: #"{"fields":{"summary":"Edited since"}}"#)
        let edited = try await sandbox.send("POST", "/rest/api/3/search/jql", body: search)
        let second = try #require(edited.body["issues"]?.arrayValue?.first)
        #expect(second["fields"]?["summary"] == "Edited since")
        #expect(second["fields"]?["status"] == first["fields"]?["status"])

        // A transition in the same second as the edit shows too.
        let moved = try await sandbox.send(
            "POST", "/rest/api/3/issue/SUP-4/transitions", json: #"{"transition":{"id":"21"}}"#)
        try #require(moved.status == 204)
        let after = try await sandbox.send("POST", "/rest/api/3/search/jql", body: search)
        let third = try #require(after.body["issues"]?.arrayValue?.first)
        #expect(third["fields"]?["status"]?["name"] != first["fields"]?["status"]?["name"])
    }

    @Test func searchSelectsByUpdatedTimeAndOrdersByIt() async throws {
        let sandbox = try JiraSandbox()
        sandbox.clock.advance(seconds: 40)
        _ = try await sandbox.send(
            "PUT", "/rest/api/3/issue/SUP-9", json: #"{"fields":{"summary":"Recently edited"}}"#)
        // The clock shows 2026-11-30T00:54:00Z; every seeded issue was updated before 00:51.
        for jql in [
            #"project = SUP AND updated >= "2026-11-30 00:53""#,
            "project = SUP AND updated >= -2m", "updated > '2026/11/30 00:52'",
        ] {
            let page = try await sandbox.send(
                "GET", "/rest/api/3/search/jql", query: [("jql", jql), ("fields", "key")])
            #expect(page.status == 200, "\(jql)")
            #expect(page.body["issues"]?.issueKeys == ["SUP-9"], "\(jql)")
        }

        let ordered = try await sandbox.send(
            "GET", "/rest/api/3/search/jql",
            query: [
                ("jql", "project = SUP ORDER BY updated DESC"), ("fields", "updated"),
                ("maxResults", "100"),
            ])
        let times = ordered.body["issues"]?.arrayValue?.compactMap {
            $0["fields"]?["updated"]?.stringValue
        }
        #expect(times?.count == 50)
        #expect(times == times?.sorted(by: >))
        #expect(ordered.body["issues"]?.issueKeys.first == "SUP-9")
    }

    @Test func unboundedAndUnreadableQueriesAreRefused() async throws {
        let sandbox = try JiraSandbox()
        let unbounded: Value = [
            "errorMessages": [
                .string(
                    "Unbounded JQL queries are not allowed here. Please add a search restriction "
                        + "to your query.")
            ],
            "errors": [:],
        ]
        for jql in ["", "ORDER BY key DESC"] {
            let refused = try await sandbox.send(
                "GET", "/rest/api/3/search/jql", query: [("jql", jql)])
            #expect(refused.status == 400)
            #expect(refused.body == unbounded)
        }
        let cases = [
            ("project = SUP AND", "Expecting a field name but got 'EOF'. (line 1, character 18)"),
            ("project SUP", "Expecting operator but got 'SUP'. (line 1, character 9)"),
            ("project = SUP OR key = SUP-1", "(line 1, character 15)"),
            ("project = SUP\nAND updated >>= -1d", "(line 2, character 14)"),
            ("nonsense = 1", "Field 'nonsense' does not exist or you do not have permission"),
            (#"updated >= "yesterday""#, "Date value 'yesterday' for field 'updated' is invalid."),
            ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
            ("key = SUP-999", "An issue with key 'SUP-999' does not exist for field 'key'."),
            ("summary = printer", "The operator '=' is not supported by the 'summary' field."),
        ]
        for (jql, message) in cases {
            let refused = try await sandbox.send(
                "POST", "/rest/api/3/search/jql", body: ["jql": .string(jql)])
            #expect(refused.status == 400, "\(jql)")
            let text = refused.body["errorMessages"]?.arrayValue?.first?.stringValue ?? ""
            #expect(text.contains(message), "\(jql): \(text)")
        }
    }
}
