import Foundation
import HTTPServer
import Ledger
import Sandbox
import Testing

extension JiraEmulatorTests {
    // MARK: - Site metadata

    @Test func fieldsPrioritiesAndProjectsDescribeTheSite() async throws {
        let sandbox = try JiraSandbox()
        let fields = try await sandbox.send("GET", "/rest/api/3/field")
        let zendesk = fields.body.arrayValue?.first { $0["name"] == "Zendesk ticket" }
        #expect(zendesk?["id"] == "customfield_10100")
        #expect(zendesk?["custom"] == true)
        #expect(
            zendesk?["schema"] == [
                "type": "string",
                "custom": "com.atlassian.jira.plugin.system.customfieldtypes:textfield",
                "customId": 10_100,
            ])
        let summary = fields.body.arrayValue?.first { $0["id"] == "summary" }
        #expect(summary?["custom"] == false)
        #expect(summary?["schema"] == ["type": "string", "system": "summary"])

        let priorities = try await sandbox.send("GET", "/rest/api/3/priority")
        #expect(
            priorities.body.arrayValue?.map { [$0["id"], $0["name"]] } == [
                ["1", "Highest"], ["2", "High"], ["3", "Medium"], ["4", "Low"], ["5", "Lowest"],
            ])

        let projects = try await sandbox.send("GET", "/rest/api/3/project")
        #expect(projects.body.issueKeys == ["SUP"])
        let project = try await sandbox.send("GET", "/rest/api/3/project/sup")
        #expect(project.body["id"] == "10000")
        #expect(project.body["issueTypes"]?.arrayValue?.count == 3)
        let missing = try await sandbox.send("GET", "/rest/api/3/project/NOPE")
        #expect(missing.status == 404)
        #expect(
            missing.body["errorMessages"] == ["No project could be found with key 'NOPE'."])
    }

    // MARK: - Limits

    @Test func theBurstLimitAnswers429WithJirasHeaders() async throws {
        let sandbox = try JiraSandbox { $0.requestsPerMinute = 3 }
        for remaining in [2, 1, 0] {
            let answer = try await sandbox.send("GET", "/rest/api/3/issue/SUP-1")
            #expect(answer.status == 200)
            #expect(answer.headers["x-ratelimit-limit"] == "3")
            #expect(answer.headers["x-ratelimit-remaining"] == String(remaining))
            #expect(answer.headers["x-ratelimit-reset"] == "2026-11-30T00:54:00Z")
            #expect(answer.headers["x-ratelimit-nearlimit"] == (remaining == 0 ? "true" : nil))
        }
        let limited = try await sandbox.send("GET", "/rest/api/3/issue/SUP-1")
        #expect(limited.status == 429)
        #expect(limited.headers["ratelimit-reason"] == "jira-burst-based")
        #expect(limited.headers["retry-after"] == "40")
        #expect(limited.headers["x-ratelimit-remaining"] == "0")
        #expect(limited.headers["x-ratelimit-reset"] == "2026-11-30T00:54:00Z")
        #expect(limited.body["errorMessages"]?.arrayValue?.isEmpty == false)

        sandbox.clock.advance(seconds: 40)
        let later = try await sandbox.send("GET", "/rest/api/3/issue/SUP-1")
        #expect(later.status == 200)
        #expect(later.headers["x-ratelimit-remaining"] == "2")
    }

    @Test func shortenedWindowsScaleEveryLimitAndEveryWait() async throws {
        // A quarter of a second into a two-second window.
        let clock = ManualSandboxClock(
            at: Timestamp(microsecondsSinceEpoch: JiraSandbox.start.microseconds + 250_000))
        let sandbox = try JiraSandbox {
            $0.clock = clock
            $0.rateLimitWindowSeconds = 2
            $0.requestsPerMinute = 3
            $0.perIssueWritesPerMinute = 1
        }
        let edit = #"{"fields":{"summary":"Edited"}}"#
        #expect(try await sandbox.send("PUT", "/rest/api/3/issue/SUP-1", json: edit).status == 204)
        let perIssue = try await sandbox.send("PUT", "/rest/api/3/issue/SUP-1", json: edit)
        #expect(perIssue.status == 429)
        #expect(perIssue.headers["ratelimit-reason"] == "jira-per-issue-on-write")
        #expect(perIssue.headers["retry-after"] == "1.750")

        #expect(try await sandbox.send("GET", "/rest/api/3/issue/SUP-2").status == 200)
        let burst = try await sandbox.send("GET", "/rest/api/3/issue/SUP-2")
        #expect(burst.status == 429)
        #expect(burst.headers["ratelimit-reason"] == "jira-burst-based")
        #expect(burst.headers["retry-after"] == "1.750")

        clock.advance(seconds: 2)
        #expect(try await sandbox.send("PUT", "/rest/api/3/issue/SUP-1", json: edit).status == 204)
    }

    @Test func thePerIssueWriteLimitAnswers429ForThatIssueOnly() async throws {
        let sandbox = try JiraSandbox {
            $0.requestsPerMinute = 0
            $0.perIssueWritesPerMinute = 2
        }
        let edit = #"{"update":{"labels":[{"add":"touched"}]}}"#
        for _ in 0..<2 {
            let answer = try await sandbox.send("PUT", "/rest/api/3/issue/SUP-1", json: edit)
            #expect(answer.status == 204)
            #expect(answer.headers["x-ratelimit-limit"] == nil, "the burst limit is off")
        }
        let limited = try await sandbox.send("PUT", "/rest/api/3/issue/SUP-1", json: edit)
        #expect(limited.status == 429)
        #expect(limited.headers["ratelimit-reason"] == "jira-per-issue-on-write")
        #expect(limited.headers["retry-after"] == "40")
        #expect(limited.headers["x-ratelimit-limit"] == "2")
        #expect(limited.headers["x-ratelimit-remaining"] == "0")
        #expect(limited.headers["x-ratelimit-reset"] == "2026-11-30T00:54:00Z")
        let transition = try await sandbox.send(
            "POST", "/rest/api/3/issue/SUP-1/transitions", json: #"{"transition":{"id":"21"}}"#)
        #expect(transition.status == 429, "transitions are writes too")

        #expect(try await sandbox.send("GET", "/rest/api/3/issue/SUP-1").status == 200)
        #expect(
            try await sandbox.send("PUT", "/rest/api/3/issue/SUP-2", json: edit).status == 204)
        sandbox.clock.advance(seconds: 40)
        #expect(
            try await sandbox.send("PUT", "/rest/api/3/issue/SUP-1", json: edit).status == 204)
    }

    // MARK: - Seeded data

    @Test func theSameSeedGivesTheSameIssues() async throws {
        func issues(seed: UInt64) async throws -> [Value] {
            let sandbox = try JiraSandbox { $0.seed = seed }
            let page = try await sandbox.send(
                "GET", "/rest/api/3/search/jql",
                query: [("jql", "project = SUP"), ("fields", "*all"), ("maxResults", "100")])
            // Everything but the URLs, which name each server's port.
            return page.body["issues"]?.arrayValue?.map { issue -> Value in
                let fields = issue["fields"]
                return [
                    "key": issue["key"] ?? .null, "summary": fields?["summary"] ?? .null,
                    "description": fields?["description"] ?? .null,
                    "labels": fields?["labels"] ?? .null,
                    "priority": fields?["priority"]?["name"] ?? .null,
                    "status": fields?["status"]?["name"] ?? .null,
                    "created": fields?["created"] ?? .null, "updated": fields?["updated"] ?? .null,
                    "customfield_10100": fields?["customfield_10100"] ?? .null,
                    "customfield_10101": fields?["customfield_10101"] ?? .null,
                ]
            } ?? []
        }
        let first = try await issues(seed: 42)
        #expect(first.count == 50)
        #expect(try await issues(seed: 42) == first)
        #expect(try await issues(seed: 43) != first)

        let fields = first
        let blockTypes = Set(
            fields.flatMap { $0["description"]?["content"]?.arrayValue ?? [] }.compactMap {
                $0["type"]?.stringValue
            })
        #expect(blockTypes.isSuperset(of: ["paragraph", "bulletList", "codeBlock"]))
        #expect(fields.contains { $0["customfield_10100"]?.stringValue != nil })
        #expect(fields.contains { $0["customfield_10101"]?["type"] == "doc" })
        #expect(Set(fields.compactMap { $0["status"]?.stringValue }).count == 3)
        #expect(Set(fields.compactMap { $0["priority"]?.stringValue }).count >= 4)
        let created = fields.compactMap { $0["created"]?.stringValue }.sorted()
        #expect(created.first?.hasPrefix("2026-06") == true, "created over six months")
        #expect(created.last?.hasPrefix("2026-11") == true)
    }
}
