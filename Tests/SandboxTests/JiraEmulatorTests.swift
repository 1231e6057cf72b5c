import Foundation
import HTTPServer
import Ledger
import Sandbox
import Testing

@Suite("Jira emulator")
struct JiraEmulatorTests {
    static let newIssue: Value = [
        "fields": [
            "project": ["key": "SUP"], "issuetype": ["name": "Bug"],
            "summary": "Printer jams on the second floor",
            "description": [
                "version": 1, "type": "doc",
                "content": [
                    ["type": "paragraph", "content": [["type": "text", "text": "It jams."]]]
                ],
            ],
            "priority": ["name": "High"], "labels": ["printer", "floor-2", "printer"],
            "customfield_10100": "4242",
        ]
    ]

    // MARK: - Authentication and sites

    @Test func refusesRequestsWithoutValidCredentials() async throws {
        let sandbox = try JiraSandbox { $0.acceptedBearerTokens = ["oauth-token"] }
        let expected: Value = [
            "errorMessages": [
                "You are not authenticated. Authentication required to perform this operation."
            ],
            "errors": [:],
        ]
        let none = try await sandbox.send("GET", "/rest/api/3/myself", authorization: "")
        #expect(none.status == 401)
        #expect(none.body == expected)
        let wrong = try await sandbox.send(
            "GET", "/rest/api/3/myself",
            authorization: "Basic " + Data("agent@example.com:nope".utf8).base64EncodedString())
        #expect(wrong.status == 401)
        let bearerOnSite = try await sandbox.send(
            "GET", "/rest/api/3/myself", authorization: "Bearer oauth-token")
        #expect(bearerOnSite.status == 401, "bearer tokens are for the gateway's paths")
        let me = try await sandbox.send("GET", "/rest/api/3/myself")
        #expect(me.status == 200)
        #expect(me.body["emailAddress"] == "agent@example.com")
    }

    @Test func theGatewayPrefixServesTheSameAPIForTheRightCloudID() async throws {
        let sandbox = try JiraSandbox {
            $0.cloudId = "c0ffee"
            $0.acceptedBearerTokens = ["oauth-token"]
        }
        let gateway = "/ex/jira/c0ffee/rest/api/3"
        let viaBasic = try await sandbox.send("GET", gateway + "/issue/SUP-1")
        #expect(viaBasic.status == 200)
        #expect(
            viaBasic.body["self"]
                == .string("\(sandbox.server.baseURL)/ex/jira/c0ffee/rest/api/3/issue/10000"))
        let direct = try await sandbox.send("GET", "/rest/api/3/issue/SUP-1")
        for field in ["summary", "description", "labels", "updated"] {
            #expect(direct.body["fields"]?[field] == viaBasic.body["fields"]?[field], "\(field)")
        }

        let viaBearer = try await sandbox.send(
            "GET", gateway + "/issue/SUP-1", authorization: "Bearer oauth-token")
        #expect(viaBearer.status == 200)
        #expect(viaBearer.body["key"] == "SUP-1")
        let unknownToken = try await sandbox.send(
            "GET", gateway + "/issue/SUP-1", authorization: "Bearer stolen")
        #expect(unknownToken.status == 401)

        let otherSite = try await sandbox.send("GET", "/ex/jira/not-ours/rest/api/3/issue/SUP-1")
        #expect(otherSite.status == 404)
        #expect(otherSite.body["errorMessages"]?.arrayValue?.count == 1)

        let created = try await sandbox.send(
            "POST", gateway + "/issue", body: Self.newIssue, authorization: "Bearer oauth-token")
        #expect(created.status == 201)
        #expect(
            created.body["self"]
                == .string("\(sandbox.server.baseURL)/ex/jira/c0ffee/rest/api/3/issue/10050"))
    }

    // MARK: - Issues

    @Test func createsShowsEditsAndDeletesAnIssue() async throws {
        let sandbox = try JiraSandbox()
        let created = try await sandbox.send("POST", "/rest/api/3/issue", body: Self.newIssue)
        #expect(created.status == 201)
        #expect(
            created.body == [
                "id": "10050", "key": "SUP-51",
                "self": .string("\(sandbox.server.baseURL)/rest/api/3/issue/10050"),
            ])

        let shown = try await sandbox.send("GET", "/rest/api/3/issue/SUP-51")
        #expect(shown.status == 200)
        let fields = try #require(shown.body["fields"])
        #expect(fields["summary"] == "Printer jams on the second floor")
        #expect(fields["description"] == Self.newIssue["fields"]?["description"])
        #expect(fields["labels"] == ["floor-2", "printer"])
        #expect(fields["priority"]?["name"] == "High")
        #expect(fields["priority"]?["id"] == "2")
        #expect(fields["issuetype"]?["name"] == "Bug")
        #expect(fields["project"]?["key"] == "SUP")
        #expect(fields["status"]?["name"] == "To Do")
        #expect(fields["status"]?["statusCategory"]?["key"] == "new")
        #expect(fields["customfield_10100"] == "4242")
        #expect(fields["customfield_10101"] == .null)
        #expect(fields["created"] == "2026-11-30T00:53:20.000+0000")
        #expect(fields["updated"] == fields["created"])
        let byID = try await sandbox.send("GET", "/rest/api/3/issue/10050")
        #expect(byID.body == shown.body)
        #expect(try await sandbox.send("GET", "/rest/api/3/issue/sup-51").status == 200)

        sandbox.clock.advance(seconds: 90)
        let edited = try await sandbox.send(
            "PUT", "/rest/api/3/issue/SUP-51",
            json: #"{"fields":{"summary":"Printer jams daily","customfield_10100":null}}"#)
        #expect(edited.status == 204)
        #expect(edited.body == .null)
        let after = try await sandbox.send("GET", "/rest/api/3/issue/SUP-51")
        #expect(after.body["fields"]?["summary"] == "Printer jams daily")
        #expect(after.body["fields"]?["customfield_10100"] == .null)
        #expect(after.body["fields"]?["updated"] == "2026-11-30T00:54:50.000+0000")

        let deleted = try await sandbox.send("DELETE", "/rest/api/3/issue/SUP-51")
        #expect(deleted.status == 204)
        let gone = try await sandbox.send("GET", "/rest/api/3/issue/SUP-51")
        #expect(gone.status == 404)
        #expect(
            gone.body == [
                "errorMessages": [
                    "Issue does not exist or you do not have permission to see it."
                ],
                "errors": [:],
            ])
        #expect(try await sandbox.send("DELETE", "/rest/api/3/issue/SUP-51").status == 404)
    }

    @Test func returnIssueAnswersWithTheEditedIssueAndLabelOperationsApply() async throws {
        let sandbox = try JiraSandbox()
        _ = try await sandbox.send(
            "PUT", "/rest/api/3/issue/SUP-2", json: #"{"fields":{"labels":["alpha","beta"]}}"#)
        let edited = try await sandbox.send(
            "PUT", "/rest/api/3/issue/SUP-2", query: [("returnIssue", "true")],
            body: [
                "fields": ["priority": ["id": "5"]],
                "update": ["labels": [["add": "gamma"], ["remove": "alpha"]]],
            ])
        #expect(edited.status == 200)
        #expect(edited.body["key"] == "SUP-2")
        #expect(edited.body["fields"]?["labels"] == ["beta", "gamma"])
        #expect(edited.body["fields"]?["priority"]?["name"] == "Lowest")
    }

    @Test func statusCannotBeSetByAnEdit() async throws {
        let sandbox = try JiraSandbox()
        let before = try await sandbox.send("GET", "/rest/api/3/issue/SUP-3")
        let refused = try await sandbox.send(
            "PUT", "/rest/api/3/issue/SUP-3",
            json: #"{"fields":{"status":{"name":"Done"},"summary":"Changed"}}"#)
        #expect(refused.status == 400)
        #expect(refused.body["errorMessages"] == [])
        #expect(
            refused.body["errors"] == [
                "status":
                    "Field 'status' cannot be set. It is not on the appropriate screen, or unknown."
            ])
        let after = try await sandbox.send("GET", "/rest/api/3/issue/SUP-3")
        #expect(after.body == before.body, "a refused edit changes nothing")
    }

    static let notADocument =
        "Operation value must be an Atlassian Document (see the Atlassian Document Format)"

    /// Changes that make a valid issue invalid (`null` removes a field), and Jira's error.
    struct InvalidFields: CustomTestStringConvertible, Sendable {
        let changes: ValueObject
        let field: String
        let message: String
        var testDescription: String { field }
    }

    static let invalidFields = [
        InvalidFields(
            changes: ["summary": nil], field: "summary",
            message: "You must specify a summary of the issue."),
        InvalidFields(
            changes: ["project": ["key": "NOPE"]], field: "project",
            message: "valid project is required"),
        InvalidFields(
            changes: ["issuetype": ["name": "Epic"]], field: "issuetype",
            message: "valid issue type is required"),
        InvalidFields(
            changes: ["priority": ["name": "Urgent"]], field: "priority",
            message: "The priority selected is invalid."),
        InvalidFields(
            changes: ["labels": ["ok", "two words"]], field: "labels",
            message: "The label 'two words' contains spaces which is invalid."),
        InvalidFields(
            changes: ["description": "plain text"], field: "description", message: notADocument),
        InvalidFields(
            changes: [
                "customfield_10101": [
                    "version": 1, "type": "doc", "content": [["type": "marquee"]],
                ]
            ],
            field: "customfield_10101", message: notADocument),
        InvalidFields(
            changes: ["customfield_99999": "y"], field: "customfield_99999",
            message: "Field 'customfield_99999' cannot be set. It is not on the appropriate "
                + "screen, or unknown."),
    ]

    @Test(arguments: invalidFields)
    func invalidIssuesAreRefusedInJirasShape(_ invalid: InvalidFields) async throws {
        let sandbox = try JiraSandbox()
        let valid: ValueObject = [
            "project": ["id": "10000"], "issuetype": ["id": "10001"], "summary": "Valid",
        ]
        let created = try await sandbox.send(
            "POST", "/rest/api/3/issue", body: ["fields": .object(valid)])
        #expect(created.status == 201, "the fields before the change are valid")
        var fields = valid
        for (name, value) in invalid.changes {
            fields[name] = value == .null ? nil : value
        }
        let refused = try await sandbox.send(
            "POST", "/rest/api/3/issue", body: ["fields": .object(fields)])
        #expect(refused.status == 400)
        #expect(
            refused.body == [
                "errorMessages": [],
                "errors": [.init(stringLiteral: invalid.field): .string(invalid.message)],
            ])
        let search = try await sandbox.send(
            "GET", "/rest/api/3/search/jql", query: [("jql", "key = SUP-52")])
        #expect(search.status == 400, "nothing was created")
    }

    @Test func invalidADFNamesWhereTheDocumentWentWrong() async throws {
        let sandbox = try JiraSandbox()
        let refused = try await sandbox.send(
            "PUT", "/rest/api/3/issue/SUP-4",
            json: #"""
                {"fields":{"description":{"version":1,"type":"doc","content":[
                  {"type":"paragraph","content":[{"type":"text","text":"ok"}]},
                  {"type":"paragraph","content":[{"type":"text","text":""}]}]}}}
                """#)
        #expect(refused.status == 400)
        #expect(refused.body["errors"] == ["description": .string(Self.notADocument)])
        #expect(
            refused.headers["x-sandbox-problem"]
                == "description: content[1].content[0]: text must not be empty")
    }

    @Test func bulkCreateReportsEachFailedElement() async throws {
        let sandbox = try JiraSandbox()
        let created = try await sandbox.send(
            "POST", "/rest/api/3/issue/bulk",
            json: #"""
                {"issueUpdates":[
                  {"fields":{"project":{"key":"SUP"},"issuetype":{"name":"Task"},
                             "summary":"First"}},
                  {"fields":{"project":{"key":"SUP"},"issuetype":{"name":"Task"}}},
                  {"fields":{"project":{"key":"SUP"},"issuetype":{"name":"Story"},
                             "summary":"Third"}}
                ]}
                """#)
        #expect(created.status == 201)
        #expect(created.body["issues"]?.issueKeys == ["SUP-51", "SUP-52"])
        #expect(
            created.body["errors"] == [
                [
                    "status": 400, "failedElementNumber": 1,
                    "elementErrors": [
                        "errorMessages": [], "status": 400,
                        "errors": ["summary": "You must specify a summary of the issue."],
                    ],
                ]
            ])
        let third = try await sandbox.send("GET", "/rest/api/3/issue/SUP-52")
        #expect(third.body["fields"]?["summary"] == "Third")
        #expect(third.body["fields"]?["issuetype"]?["name"] == "Story")

        let allFail = try await sandbox.send(
            "POST", "/rest/api/3/issue/bulk", json: #"{"issueUpdates":[{"fields":{}}]}"#)
        #expect(allFail.status == 400)
        #expect(allFail.body["issues"] == [])

        let element: Value = [
            "fields": ["project": ["key": "SUP"], "issuetype": ["name": "Task"], "summary": "x"]
        ]
        let tooMany = try await sandbox.send(
            "POST", "/rest/api/3/issue/bulk",
            body: ["issueUpdates": .array(Array(repeating: element, count: 51))])
        #expect(tooMany.status == 400)
        let search = try await sandbox.send(
            "GET", "/rest/api/3/search/jql", query: [("jql", "key > SUP-52")])
        #expect(search.status == 200)
        #expect(search.body["issues"] == [], "a refused bulk request creates nothing")
    }

    @Test func transitionsFollowTheWorkflowAndAreRecorded() async throws {
        let sandbox = try JiraSandbox()
        _ = try await sandbox.send("POST", "/rest/api/3/issue", body: Self.newIssue)
        func transitionIDs() async throws -> [String] {
            let listed = try await sandbox.send("GET", "/rest/api/3/issue/SUP-51/transitions")
            return listed.body["transitions"]?.arrayValue?.compactMap { $0["id"]?.stringValue }
                ?? []
        }
        #expect(try await transitionIDs() == ["21"])
        let listed = try await sandbox.send("GET", "/rest/api/3/issue/SUP-51/transitions")
        #expect(listed.body["transitions"]?.arrayValue?.first?["to"]?["name"] == "In Progress")

        let skipAhead = try await sandbox.send(
            "POST", "/rest/api/3/issue/SUP-51/transitions", json: #"{"transition":{"id":"31"}}"#)
        #expect(skipAhead.status == 400)
        #expect(
            skipAhead.body == [
                "errorMessages": ["Transition id '31' is not valid for this issue."], "errors": [:],
            ])

        sandbox.clock.advance(seconds: 60)
        let started = try await sandbox.send(
            "POST", "/rest/api/3/issue/SUP-51/transitions", json: #"{"transition":{"id":"21"}}"#)
        #expect(started.status == 204)
        #expect(try await transitionIDs() == ["11", "31"])
        sandbox.clock.advance(seconds: 60)
        let finished = try await sandbox.send(
            "POST", "/rest/api/3/issue/SUP-51/transitions", json: #"{"transition":{"id":31}}"#)
        #expect(finished.status == 204)

        let issue = try await sandbox.send(
            "GET", "/rest/api/3/issue/SUP-51", query: [("expand", "changelog")])
        let fields = try #require(issue.body["fields"])
        #expect(fields["status"]?["name"] == "Done")
        #expect(fields["status"]?["statusCategory"]?["key"] == "done")
        #expect(fields["resolution"]?["name"] == "Done")
        #expect(fields["resolutiondate"] == "2026-11-30T00:55:20.000+0000")
        let histories = issue.body["changelog"]?["histories"]?.arrayValue ?? []
        #expect(histories.count == 2)
        #expect(
            histories.first?["items"] == [
                [
                    "field": "status", "fieldId": "status", "fieldtype": "jira", "from": "10000",
                    "fromString": "To Do", "to": "3", "toString": "In Progress",
                ]
            ])
        #expect(
            histories.last?["items"]?.arrayValue?.compactMap { $0["field"]?.stringValue }
                == ["status", "resolution"])
        #expect(try await transitionIDs() == ["21"])
    }

    @Test func fieldsAndExpandShapeTheIssue() async throws {
        let sandbox = try JiraSandbox()
        let limited = try await sandbox.send(
            "GET", "/rest/api/3/issue/SUP-5", query: [("fields", "summary,labels")])
        #expect(limited.body["fields"]?.objectValue?.keys == ["labels", "summary"])
        #expect(limited.body["changelog"] == nil)

        sandbox.clock.advance(seconds: 30)
        let before = try await sandbox.send("GET", "/rest/api/3/issue/SUP-5")
        let oldSummary = try #require(before.body["fields"]?["summary"]?.stringValue)
        let oldPriority = try #require(before.body["fields"]?["priority"]?["id"]?.stringValue)
        let newPriority = oldPriority == "1" ? "2" : "1"
        let edited = try await sandbox.send(
            "PUT", "/rest/api/3/issue/SUP-5",
            body: ["fields": ["summary": "Renamed", "priority": ["id": .string(newPriority)]]])
        #expect(edited.status == 204)

        let expanded = try await sandbox.send(
            "GET", "/rest/api/3/issue/SUP-5",
            query: [("expand", "changelog,names"), ("fields", "summary,customfield_10100")])
        let last = try #require(expanded.body["changelog"]?["histories"]?.arrayValue?.last)
        #expect(last["created"] == "2026-11-30T00:53:50.000+0000")
        #expect(last["author"]?["accountId"] != nil)
        let items = last["items"]?.arrayValue ?? []
        #expect(
            items.first { $0["field"] == "summary" }
                == [
                    "field": "summary", "fieldId": "summary", "fieldtype": "jira", "from": .null,
                    "fromString": .string(oldSummary), "to": .null, "toString": "Renamed",
                ])
        #expect(items.first { $0["field"] == "priority" }?["from"] == .string(oldPriority))
        #expect(items.first { $0["field"] == "priority" }?["to"] == .string(newPriority))
        #expect(
            expanded.body["names"] == ["summary": "Summary", "customfield_10100": "Zendesk ticket"])
    }
}
