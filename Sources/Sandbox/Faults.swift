import Glibc
import HTTPServer
import Ledger
import Synchronization

/// Faults an emulator injects, set at start and changed at run time through its admin
/// endpoint (`GET` and `PUT /_sandbox/faults`).
///
/// Each fault is drawn per request or per delivery from a generator seeded with ``seed``, so the
/// same seed and the same requests give the same faults.
public struct FaultSettings: Sendable, Equatable {
    /// The fraction of API requests answered 503 instead, from 0 to 1.
    public var serverErrorRate = 0.0
    /// Milliseconds added before every API answer.
    public var addedLatencyMilliseconds = 0
    /// The fraction of API requests answered 429 as if the rate limit were spent, from 0 to 1.
    public var rateLimitStormRate = 0.0
    /// The fraction of webhook deliveries never sent, from 0 to 1.
    public var webhookDropRate = 0.0
    /// The fraction of webhook deliveries sent twice, from 0 to 1.
    public var webhookDuplicateRate = 0.0
    /// Whether each webhook delivery waits for the next one and is sent after it.
    public var webhookReorder = false
    /// Whether records drift from the documented schema: a priority value renamed and an
    /// unknown field added, as providers do without notice.
    public var schemaDrift = false
    /// The seed of the fault generator.
    public var seed: UInt64 = 1

    /// No faults.
    public init() {}

    /// Reads settings from JSON in the admin endpoint's form; members left out keep their
    /// defaults. Throws a message naming the member at fault.
    public init(json text: String) throws(FaultSettingsError) {
        let value: Value
        do {
            value = try Value(json: text)
        } catch {
            throw FaultSettingsError(message: "not JSON: \(error)")
        }
        guard case .object(let object) = value else {
            throw FaultSettingsError(message: "expected a JSON object")
        }
        switch Self.parse(object, over: FaultSettings()) {
        case .success(let settings): self = settings
        case .failure(let bad): throw FaultSettingsError(message: bad.reason)
        }
    }

    /// The settings as the admin endpoint shows them.
    public var value: Value {
        [
            "serverErrorRate": .decimal(Self.decimal(serverErrorRate)),
            "addedLatencyMilliseconds": .integer(Int64(addedLatencyMilliseconds)),
            "rateLimitStormRate": .decimal(Self.decimal(rateLimitStormRate)),
            "webhookDropRate": .decimal(Self.decimal(webhookDropRate)),
            "webhookDuplicateRate": .decimal(Self.decimal(webhookDuplicateRate)),
            "webhookReorder": .bool(webhookReorder), "schemaDrift": .bool(schemaDrift),
            "seed": .integer(Int64(bitPattern: seed)),
        ]
    }

    /// Reads settings from the admin endpoint's JSON; members left out keep `base`'s values.
    /// Returns why, for a member of the wrong type or out of range.
    static func parse(_ object: ValueObject, over base: FaultSettings) -> Result<
        FaultSettings, BadBody
    > {
        var settings = base
        for (name, value) in object {
            switch name {
            case "serverErrorRate", "rateLimitStormRate", "webhookDropRate",
                "webhookDuplicateRate":
                guard let rate = number(value), (0...1).contains(rate) else {
                    return .failure(BadBody(reason: "\(name) must be a number from 0 to 1"))
                }
                switch name {
                case "serverErrorRate": settings.serverErrorRate = rate
                case "rateLimitStormRate": settings.rateLimitStormRate = rate
                case "webhookDropRate": settings.webhookDropRate = rate
                default: settings.webhookDuplicateRate = rate
                }
            case "addedLatencyMilliseconds":
                guard case .integer(let milliseconds) = value, (0...60_000).contains(milliseconds)
                else {
                    return .failure(BadBody(reason: "\(name) must be an integer from 0 to 60000"))
                }
                settings.addedLatencyMilliseconds = Int(milliseconds)
            case "webhookReorder", "schemaDrift":
                guard case .bool(let flag) = value else {
                    return .failure(BadBody(reason: "\(name) must be true or false"))
                }
                if name == "webhookReorder" {
                    settings.webhookReorder = flag
                } else {
                    settings.schemaDrift = flag
                }
            case "seed":
                guard case .integer(let seed) = value else {
                    return .failure(BadBody(reason: "seed must be an integer"))
                }
                settings.seed = UInt64(bitPattern: seed)
            default:
                return .failure(BadBody(reason: "unknown fault '\(name)'"))
            }
        }
        return .success(settings)
    }

    private static func number(_ value: Value) -> Double? {
        switch value {
        case .integer(let integer): Double(integer)
        case .decimal(let decimal): Double(decimal.description)
        default: nil
        }
    }

    private static func decimal(_ rate: Double) -> DecimalNumber {
        DecimalNumber(significand: Int64((rate * 10_000).rounded()), exponent: -4)!
    }
}

/// Why fault settings could not be read.
public struct FaultSettingsError: Error, Sendable, CustomStringConvertible {
    /// What is wrong.
    public let message: String

    /// The message.
    public var description: String { message }
}

/// The faults in force and the generator they are drawn from.
final class FaultInjector: Sendable {
    private struct State {
        var settings: FaultSettings
        var random: SandboxRandom
    }

    private let state: Mutex<State>

    init(_ settings: FaultSettings) {
        state = Mutex(State(settings: settings, random: SandboxRandom(seed: settings.seed)))
    }

    var settings: FaultSettings {
        state.withLock { $0.settings }
    }

    /// Replaces the settings and restarts the generator from their seed.
    func update(_ settings: FaultSettings) {
        state.withLock {
            $0 = State(settings: settings, random: SandboxRandom(seed: settings.seed))
        }
    }

    /// What befalls one API request.
    enum Outcome {
        case none
        case serverError
        case rateLimitStorm
    }

    /// Draws the fault for one API request, after the added latency.
    func drawForRequest() -> Outcome {
        let (latency, outcome) = state.withLock { state -> (Int, Outcome) in
            let settings = state.settings
            let error = Self.draw(&state.random, settings.serverErrorRate)
            let storm = Self.draw(&state.random, settings.rateLimitStormRate)
            return (
                settings.addedLatencyMilliseconds,
                error ? .serverError : storm ? .rateLimitStorm : .none
            )
        }
        if latency > 0 {
            usleep(UInt32(latency) * 1_000)
        }
        return outcome
    }

    /// How many times to send one webhook delivery: 0 (dropped), 1 or 2 (duplicated).
    func drawDeliveryCopies() -> Int {
        state.withLock { state in
            let settings = state.settings
            if Self.draw(&state.random, settings.webhookDropRate) {
                return 0
            }
            return Self.draw(&state.random, settings.webhookDuplicateRate) ? 2 : 1
        }
    }

    private static func draw(_ random: inout SandboxRandom, _ rate: Double) -> Bool {
        guard rate > 0 else {
            return false
        }
        return Double(random.next() >> 11) / Double(1 << 53) < rate
    }

    /// The admin routes: `GET /_sandbox/faults` shows the settings, `PUT` changes the members
    /// it names (a JSON object with the members of ``FaultSettings/value``).
    func addRoutes(to router: inout Router) {
        router.add(.get, "/_sandbox/faults") { [self] _ in .json(settings.value) }
        router.add(.put, "/_sandbox/faults") { [self] request in
            switch request.jsonObject().flatMap({ FaultSettings.parse($0, over: settings) }) {
            case .failure(let bad):
                return .json(["error": .string(bad.reason)], status: 400)
            case .success(let updated):
                update(updated)
                return .json(updated.value)
            }
        }
    }
}
