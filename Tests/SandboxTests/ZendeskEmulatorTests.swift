import Foundation
import HTTPServer
import Ledger
import Sandbox
import Testing

@Suite("Zendesk emulator")
struct ZendeskEmulatorTests {
    @Test func refusesRequestsWithoutTheAPIToken() async throws {
        let sandbox = try ZendeskSandbox()
        let none = try await sandbox.send("GET", "/api/v2/tickets.json", authorization: "")
        #expect(none.status == 401)
        #expect(none.body == ["error": "Couldn't authenticate you"])
        let wrong = try await sandbox.send(
            "GET", "/api/v2/tickets.json",
            authorization: "Basic "
                + Data("agent@example.com/token:nope".utf8).base64EncodedString())
        #expect(wrong.status == 401)
        #expect(try await sandbox.send("GET", "/api/v2/tickets.json").status == 200)
    }

    @Test func cursorPaginationVisitsEveryTicketOnceInOrder() async throws {
        let sandbox = try ZendeskSandbox()
        var next: String? = "/api/v2/tickets.json?page%5Bsize%5D=20"
        var ids: [Int64] = []
        var pages = 0
        while let url = next {
            let page = try await sandbox.send("GET", url)
            #expect(page.status == 200)
            ids += page.body["tickets"]?.arrayValue?.compactMap { $0["id"]?.integerValue } ?? []
            pages += 1
            let hasMore = page.body["meta"]?["has_more"] == true
            next = hasMore ? page.body["links"]?["next"]?.stringValue : nil
            #expect(hasMore == (next != nil))
        }
        #expect(pages == 3)
        #expect(ids == Array(1...50))

        let first = try await sandbox.send("GET", "/api/v2/tickets.json?page%5Bsize%5D=20")
        let after = try #require(first.body["meta"]?["after_cursor"]?.stringValue)
        let second = try await sandbox.send(
            "GET", "/api/v2/tickets.json?page%5Bsize%5D=5&page%5Bafter%5D=\(after)")
        #expect(second.body["tickets"]?.arrayValue?.first?["id"] == 21)
        let before = try #require(second.body["meta"]?["before_cursor"]?.stringValue)
        let back = try await sandbox.send(
            "GET", "/api/v2/tickets.json?page%5Bsize%5D=5&page%5Bbefore%5D=\(before)")
        #expect(
            back.body["tickets"]?.arrayValue?.compactMap { $0["id"]?.integerValue }
                == Array(16...20))

        let tooBig = try await sandbox.send("GET", "/api/v2/tickets.json?page%5Bsize%5D=101")
        #expect(tooBig.status == 400)
    }

    @Test func offsetPaginationStopsAtTheTenThousandthRecord() async throws {
        let sandbox = try ZendeskSandbox()
        let second = try await sandbox.send("GET", "/api/v2/tickets.json?page=2&per_page=20")
        #expect(second.body["tickets"]?.arrayValue?.first?["id"] == 21)
        #expect(second.body["count"] == 50)
        #expect(second.body["next_page"]?.stringValue?.hasSuffix("page=3&per_page=20") == true)
        let beyond = try await sandbox.send("GET", "/api/v2/tickets.json?page=101&per_page=100")
        #expect(beyond.status == 400)
        #expect(beyond.body["error"] == "InvalidPaginationParameter")
    }

    @Test func createsShowsUpdatesAndDeletesATicket() async throws {
        let sandbox = try ZendeskSandbox()
        let created = try await sandbox.send(
            "POST", "/api/v2/tickets.json",
            json:
                #"{"ticket":{"subject":"Printer jams","comment":{"body":"It jams."},"priority":"urgent","tags":["Printer","printer"],"custom_fields":[{"id":360001,"value":"SUP-1"}]}}"#
        )
        #expect(created.status == 201)
        let ticket = try #require(created.body["ticket"])
        let id = try #require(ticket["id"]?.integerValue)
        #expect(id == 51)
        #expect(created.headers["location"] == "\(sandbox.server.baseURL)/api/v2/tickets/51.json")
        #expect(ticket["status"] == "new")
        #expect(ticket["description"] == "It jams.")
        #expect(ticket["tags"] == ["printer"])
        #expect(ticket["custom_fields"]?.arrayValue?.first == ["id": 360_001, "value": "SUP-1"])
        #expect(created.body["audit"]?["ticket_id"] == .integer(id))

        sandbox.clock.advance(seconds: 90)
        let updated = try await sandbox.send(
            "PUT", "/api/v2/tickets/51.json",
            json:
                #"{"ticket":{"status":"open","comment":{"body":"Looking into it","public":false}}}"#
        )
        #expect(updated.status == 200)
        #expect(updated.body["ticket"]?["status"] == "open")
        let events = updated.body["audit"]?["events"]?.arrayValue ?? []
        #expect(
            events.contains {
                $0["field_name"] == "status" && $0["value"] == "open"
                    && $0["previous_value"] == "new"
            })
        let comments = try await sandbox.send("GET", "/api/v2/tickets/51/comments.json")
        #expect(comments.body["count"] == 2)
        #expect(comments.body["comments"]?.arrayValue?.last?["public"] == false)

        let shown = try await sandbox.send("GET", "/api/v2/tickets/51")
        #expect(
            shown.body["ticket"]?["updated_at"]
                == .string(updated.body["ticket"]!["updated_at"]!.stringValue!))
        let many = try await sandbox.send("GET", "/api/v2/tickets/show_many.json?ids=1,51,999")
        #expect(many.body["tickets"]?.arrayValue?.compactMap { $0["id"]?.integerValue } == [1, 51])

        let deleted = try await sandbox.send("DELETE", "/api/v2/tickets/51.json")
        #expect(deleted.status == 204)
        let gone = try await sandbox.send("GET", "/api/v2/tickets/51.json")
        #expect(gone.status == 404)
        #expect(gone.body == ["error": "RecordNotFound", "description": "Not found"])
    }

    @Test func invalidTicketsAreRefusedInZendesksShape() async throws {
        let sandbox = try ZendeskSandbox()
        let blank = try await sandbox.send(
            "POST", "/api/v2/tickets.json", json: #"{"ticket":{"subject":"No description"}}"#)
        #expect(blank.status == 422)
        #expect(blank.body["error"] == "RecordInvalid")
        #expect(blank.body["details"]?["description"] != nil)

        let priority = try await sandbox.send(
            "PUT", "/api/v2/tickets/1.json", json: #"{"ticket":{"priority":"Highest"}}"#)
        #expect(priority.status == 422)
        #expect(priority.body["details"]?["priority"] != nil)

        let notJSON = try await sandbox.send("PUT", "/api/v2/tickets/1.json", json: "{")
        #expect(notJSON.status == 400)

        let stale = try await sandbox.send(
            "PUT", "/api/v2/tickets/1.json",
            json:
                #"{"ticket":{"status":"open","safe_update":true,"updated_stamp":"2020-01-01T00:00:00Z"}}"#
        )
        #expect(stale.status == 409)
        #expect(stale.body["error"] == "UpdateConflict")
    }

    @Test func anIdempotencyKeyReplaysTheFirstAnswer() async throws {
        let sandbox = try ZendeskSandbox()
        let body = #"{"ticket":{"subject":"Once","comment":{"body":"Only once"}}}"#
        let first = try await sandbox.send(
            "POST", "/api/v2/tickets.json", json: body, headers: ["Idempotency-Key": "k-1"])
        #expect(first.status == 201)
        #expect(first.headers["x-idempotency-lookup"] == "miss")
        let again = try await sandbox.send(
            "POST", "/api/v2/tickets.json", json: body, headers: ["Idempotency-Key": "k-1"])
        #expect(again.status == 201)
        #expect(again.headers["x-idempotency-lookup"] == "hit")
        #expect(again.body["ticket"]?["id"] == first.body["ticket"]?["id"])
        let list = try await sandbox.send("GET", "/api/v2/tickets.json")
        #expect(list.body["count"] == 51, "the replay created nothing")

        let other = try await sandbox.send(
            "POST", "/api/v2/tickets.json",
            json: #"{"ticket":{"subject":"Other","comment":{"body":"x"}}}"#,
            headers: ["Idempotency-Key": "k-1"])
        #expect(other.status == 400)
        #expect(other.body["error"] == "IdempotentRequestError")
    }

    @Test func bulkCreatesAndUpdatesReportAJob() async throws {
        let sandbox = try ZendeskSandbox()
        let created = try await sandbox.send(
            "POST", "/api/v2/tickets/create_many.json",
            json: #"{"tickets":[{"subject":"A","comment":{"body":"a"}},{"subject":"B"}]}"#)
        #expect(created.status == 200)
        let job = try #require(created.body["job_status"])
        #expect(job["status"] == "completed")
        let results = job["results"]?.arrayValue ?? []
        #expect(results.count == 2)
        #expect(results.first?["success"] == true)
        #expect(results.last?["success"] == false)
        let id = try #require(job["id"]?.stringValue)
        let polled = try await sandbox.send("GET", "/api/v2/job_statuses/\(id).json")
        #expect(polled.body["job_status"] == job)

        let updated = try await sandbox.send(
            "PUT", "/api/v2/tickets/update_many.json",
            json: #"{"tickets":[{"id":1,"status":"solved"},{"id":2,"status":"pending"}]}"#)
        #expect(
            updated.body["job_status"]?["results"]?.arrayValue?.allSatisfy { $0["success"] == true }
                == true)
        #expect(
            try await sandbox.send("GET", "/api/v2/tickets/2.json").body["ticket"]?["status"]
                == "pending")
    }

    @Test func theIncrementalExportFollowsChangesWithACursor() async throws {
        let sandbox = try ZendeskSandbox()
        let now = ZendeskSandbox.start.microseconds / 1_000_000
        let tooRecent = try await sandbox.send(
            "GET", "/api/v2/incremental/tickets/cursor.json?start_time=\(now - 30)")
        #expect(tooRecent.status == 400)
        #expect(tooRecent.body["description"]?.stringValue?.contains("older than 1 minute") == true)

        var ids: [Int64] = []
        var page = try await sandbox.send(
            "GET", "/api/v2/incremental/tickets/cursor.json?start_time=0&per_page=30")
        while true {
            ids += page.body["tickets"]?.arrayValue?.compactMap { $0["id"]?.integerValue } ?? []
            if page.body["end_of_stream"] == true {
                break
            }
            page = try await sandbox.send("GET", try #require(page.body["after_url"]?.stringValue))
        }
        #expect(Set(ids) == Set(1...50))
        #expect(ids.count == 50)
        let cursor = try #require(page.body["after_cursor"]?.stringValue)

        // A change made now shows up once it is more than a minute old.
        sandbox.clock.advance(seconds: 5)
        _ = try await sandbox.send(
            "PUT", "/api/v2/tickets/7.json", json: #"{"ticket":{"status":"solved"}}"#)
        _ = try await sandbox.send("DELETE", "/api/v2/tickets/8.json")
        let early = try await sandbox.send(
            "GET", "/api/v2/incremental/tickets/cursor.json?cursor=\(cursor)")
        #expect(early.body["tickets"] == [])
        #expect(early.body["end_of_stream"] == true)
        sandbox.clock.advance(seconds: 61)
        let later = try await sandbox.send(
            "GET", "/api/v2/incremental/tickets/cursor.json?cursor=\(cursor)")
        let changed = later.body["tickets"]?.arrayValue ?? []
        #expect(changed.compactMap { $0["id"]?.integerValue } == [7, 8])
        #expect(changed.last?["status"] == "deleted")
    }

    @Test func aShorterExportDelayShowsChangesSooner() async throws {
        let sandbox = try ZendeskSandbox { $0.incrementalExportDelaySeconds = 5 }
        let now = ZendeskSandbox.start.microseconds / 1_000_000
        let tooRecent = try await sandbox.send(
            "GET", "/api/v2/incremental/tickets/cursor.json?start_time=\(now - 3)")
        #expect(tooRecent.status == 400)
        #expect(
            tooRecent.body["description"]?.stringValue?.contains("older than 5 seconds") == true)
        let first = try await sandbox.send(
            "GET", "/api/v2/incremental/tickets/cursor.json?start_time=\(now - 6)")
        #expect(first.status == 200)
        let cursor = try #require(first.body["after_cursor"]?.stringValue)

        _ = try await sandbox.send(
            "PUT", "/api/v2/tickets/7.json", json: #"{"ticket":{"status":"solved"}}"#)
        sandbox.clock.advance(seconds: 5)
        let early = try await sandbox.send(
            "GET", "/api/v2/incremental/tickets/cursor.json?cursor=\(cursor)")
        #expect(early.body["tickets"] == [])
        sandbox.clock.advance(seconds: 1)
        let later = try await sandbox.send(
            "GET", "/api/v2/incremental/tickets/cursor.json?cursor=\(cursor)")
        #expect(later.body["tickets"]?.arrayValue?.compactMap { $0["id"]?.integerValue } == [7])
    }

    @Test func rateLimitsAnswer429WithRetryAfterAndReset() async throws {
        let sandbox = try ZendeskSandbox { $0.requestsPerMinute = 3 }
        for remaining in [2, 1, 0] {
            let answer = try await sandbox.send("GET", "/api/v2/tickets/1.json")
            #expect(answer.status == 200)
            #expect(answer.headers["x-rate-limit"] == "3")
            #expect(answer.headers["x-rate-limit-remaining"] == String(remaining))
            #expect(answer.headers["ratelimit-remaining"] == String(remaining))
        }
        let limited = try await sandbox.send("GET", "/api/v2/tickets/1.json")
        #expect(limited.status == 429)
        let retryAfter = try #require(limited.headers["retry-after"].flatMap { Int($0) })
        #expect((1...60).contains(retryAfter))
        #expect(limited.headers["ratelimit-reset"] == String(retryAfter))

        sandbox.clock.advance(seconds: Int64(retryAfter))
        #expect(try await sandbox.send("GET", "/api/v2/tickets/1.json").status == 200)
    }

    @Test func aShortenedWindowGivesItsWaitsToTheMillisecond() async throws {
        let sandbox = try ZendeskSandbox {
            $0.clock = ManualSandboxClock(
                at: Timestamp(
                    microsecondsSinceEpoch: ZendeskSandbox.start.microseconds + 600_000))
            $0.rateLimitWindowSeconds = 1
            $0.requestsPerMinute = 1
        }
        let allowed = try await sandbox.send("GET", "/api/v2/tickets/1.json")
        #expect(allowed.status == 200)
        #expect(allowed.headers["ratelimit-reset"] == "0.400")
        let limited = try await sandbox.send("GET", "/api/v2/tickets/1.json")
        #expect(limited.status == 429)
        #expect(limited.headers["retry-after"] == "0.400")
    }

    @Test func theIncrementalExportHasItsOwnLowerLimit() async throws {
        let sandbox = try ZendeskSandbox { $0.incrementalRequestsPerMinute = 2 }
        let path = "/api/v2/incremental/tickets/cursor.json?start_time=0"
        #expect(try await sandbox.send("GET", path).status == 200)
        #expect(try await sandbox.send("GET", path).status == 200)
        let limited = try await sandbox.send("GET", path)
        #expect(limited.status == 429)
        #expect(limited.headers["x-rate-limit"] == "2")
        #expect(try await sandbox.send("GET", "/api/v2/tickets/1.json").status == 200)
    }

    @Test func theSameSeedGivesTheSameTickets() async throws {
        let first = try ZendeskSandbox { $0.seed = 42 }
        let second = try ZendeskSandbox { $0.seed = 42 }
        let other = try ZendeskSandbox { $0.seed = 43 }
        func subjects(_ sandbox: ZendeskSandbox) async throws -> [Value] {
            try await sandbox.send("GET", "/api/v2/tickets.json").body["tickets"]?.arrayValue?
                .compactMap { $0["description"] } ?? []
        }
        let one = try await subjects(first)
        #expect(one.count == 50)
        #expect(try await subjects(second) == one)
        #expect(try await subjects(other) != one)
        #expect(
            one.contains { $0.stringValue?.contains("\n- ") == true },
            "some descriptions have lists")
    }

    @Test func ticketFieldsListTheCustomFields() async throws {
        let sandbox = try ZendeskSandbox()
        let fields = try await sandbox.send("GET", "/api/v2/ticket_fields.json")
        let titles = fields.body["ticket_fields"]?.arrayValue?.compactMap {
            $0["title"]?.stringValue
        }
        #expect(titles?.contains("Jira issue") == true)
        let product = fields.body["ticket_fields"]?.arrayValue?.first { $0["title"] == "Product" }
        #expect(product?["custom_field_options"]?.arrayValue?.count == 4)
    }
}
