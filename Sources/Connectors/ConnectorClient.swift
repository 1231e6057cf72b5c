import Foundation

/// Why a request gave up: what was asked, how often, and the last answer or failure.
public struct ConnectorError: Error, Sendable, CustomStringConvertible {
    /// `GET https://…/api/v2/tickets/1.json`, secrets redacted.
    public let request: String
    /// Attempts made.
    public let attempts: Int
    /// The last status, when there was an answer.
    public let lastStatus: Int?
    /// The start of the last answer's body, or the last failure to get one.
    public let detail: String

    /// One line for people.
    public var description: String {
        let answer = lastStatus.map { "last answer \($0)" } ?? "no answer"
        return "\(request) failed after \(attempts) attempt\(attempts == 1 ? "" : "s"), "
            + "\(answer): \(detail)"
    }
}

/// Sends requests for one connection: paced by its rate budget, retried with backoff when that
/// is safe, and logged with secrets redacted.
///
/// Server errors, timeouts and refused connections are retried only for idempotent requests;
/// a 429 is retried for any request, since the provider did not act on it. `Retry-After`
/// always sets the wait. Attempts and total waiting are capped by the ``RetryPolicy``.
public struct ConnectorClient: Sendable {
    /// Where requests go.
    public let transport: any HTTPTransport
    /// The connection's budget.
    public let budget: RateBudget
    /// When to try again.
    public let policy: RetryPolicy
    /// Jitter's randomness.
    public let random: any RandomSource
    /// How waits are spent.
    public let sleeper: any Sleeper
    /// Receives one line per attempt, secrets redacted.
    public let log: @Sendable (String) -> Void

    /// Creates a client.
    public init(
        transport: any HTTPTransport = URLSessionTransport(), budget: RateBudget = RateBudget(),
        policy: RetryPolicy = RetryPolicy(), random: any RandomSource = SeededRandomSource(seed: 1),
        sleeper: any Sleeper = ClockSleeper(), log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.transport = transport
        self.budget = budget
        self.policy = policy
        self.random = random
        self.sleeper = sleeper
        self.log = log
    }

    /// Sends `request` on `share` of the budget (1 for all of it) and returns the first answer
    /// that is not retried. Throws ``ConnectorError`` when attempts or waiting run out.
    public func send(_ request: ConnectorRequest, share: Double = 1) async throws
        -> ConnectorResponse
    {
        let name = Redaction.describe(request)
        var waited = Duration.zero
        var attempt = 0
        while true {
            attempt += 1
            let pacing = budget.delay(share: share)
            if pacing > .zero {
                try await sleeper.sleep(for: pacing)
            }
            let started = ContinuousClock.now
            var pause: Duration
            var lastStatus: Int?
            var detail: String
            do {
                let response = try await transport.send(request)
                budget.learn(from: response)
                log(
                    "\(name) → \(response.status) in \(Redaction.milliseconds(ContinuousClock.now - started)) ms"
                )
                let retryable =
                    response.status == 429
                    || (request.isIdempotent && RetryPolicy.isRetryable(status: response.status))
                guard retryable else {
                    return response
                }
                lastStatus = response.status
                detail = Redaction.redact(
                    String(decoding: response.body.prefix(300), as: UTF8.self))
                pause = policy.backoff(afterAttempt: attempt, random: random)
                if let retryAfter = response.header("Retry-After").flatMap(Double.init) {
                    // The budget now holds every request until then; the wait is spent there,
                    // and counted here.
                    pause = .zero
                    waited += .milliseconds(Int(retryAfter * 1_000))
                }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                detail = Redaction.redact("\(error)")
                log("\(name) → no answer: \(detail)")
                guard request.isIdempotent else {
                    throw ConnectorError(
                        request: name, attempts: attempt, lastStatus: nil, detail: detail)
                }
                pause = policy.backoff(afterAttempt: attempt, random: random)
            }
            guard attempt < policy.maximumAttempts, waited + pause <= policy.maximumTotalWait
            else {
                throw ConnectorError(
                    request: name, attempts: attempt, lastStatus: lastStatus, detail: detail)
            }
            waited += pause
            if pause > .zero {
                try await sleeper.sleep(for: pause)
            }
        }
    }
}

/// Keeps secrets out of logs and errors: credentials in headers, tokens and codes in URLs and
/// bodies.
public enum Redaction {
    /// Names whose values are secret wherever they appear as `name=value` or `"name":"value"`.
    static let secretNames = [
        "access_token", "refresh_token", "client_secret", "code", "code_verifier", "password",
        "api_token", "token",
    ]

    /// `METHOD url`, with secret query values replaced by `[redacted]`.
    public static func describe(_ request: ConnectorRequest) -> String {
        "\(request.method) \(redact(request.url))"
    }

    /// `text` with every secret value replaced by `[redacted]`, and any `Basic` or `Bearer`
    /// credential too.
    public static func redact(_ text: String) -> String {
        // Most text (every path the connectors call) holds none of the names: the patterns,
        // slow to run, are run only when one of them is there.
        guard markers.contains(where: { text.contains($0) }) else {
            return text
        }
        var result = text
        for pattern in patterns {
            result = result.replacing(pattern) { match in match.output.1 + "[redacted]" }
        }
        return result
    }

    /// Text each pattern needs to match: a secret's name, or a credential's scheme.
    static let markers = secretNames + ["Basic ", "Bearer "]

    /// Each pattern captures what precedes a secret, and matches the secret after it.
    nonisolated(unsafe) private static let patterns: [Regex<(Substring, Substring)>] = {
        var sources = secretNames.flatMap { name in
            [#"([?&]\#(name)=)[^&\s"]+"#, #"("\#(name)"\s?:\s?")[^"]*"#]
        }
        sources.append(#"((?:Basic|Bearer) )[A-Za-z0-9._~+/=-]+"#)
        // The patterns are fixed text; a mistake in one is caught by the first test to run.
        return sources.map { try! Regex($0, as: (Substring, Substring).self) }
    }()

    static func milliseconds(_ duration: Duration) -> Int {
        Int(
            duration.components.seconds * 1_000 + duration.components.attoseconds
                / 1_000_000_000_000_000)
    }
}
