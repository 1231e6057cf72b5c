#!/usr/bin/python3
"""Print the events of a SyncLedger ledger as JSON lines, from the format alone.

Usage: decode_ledger.py [--verify-indexes] LEDGER_DIR

Reads the `events` database of the ledger in LEDGER_DIR and prints each event, oldest first,
as one JSON object per line, in the form `syncledger log --json` prints. It knows only what
docs/event-format.md says about the bytes, and checks the canonical-encoding rules it lays
down. An event that breaks them is reported on standard error, the rest still print, and the
exit status is 1. A ledger that cannot be read at all (missing, truncated, not LMDB, a newer
format) is reported and the exit status is 1.

With --verify-indexes it also checks that the `ids` and `streams` indexes and the counters in
`meta` agree with the events, and reports every disagreement.

Needs the `lmdb` module (Debian: python3-lmdb). The environment is opened read-only, so this
can run while another process appends.
"""

import os
import sys

try:
    import lmdb
except ImportError:
    sys.stderr.write(
        "decode_ledger.py: the lmdb module is missing; install python3-lmdb\n")
    sys.exit(1)

PROGRAM = "decode_ledger.py"
FORMAT_VERSION = 1
EVENT_VERSION = 1
MAXIMUM_DEPTH = 64
MAXIMUM_EXPONENT = 64

KIND_NAMES = {
    1: "observed",
    2: "deleted",
    3: "linked",
    4: "unlinked",
    5: "writeIntended",
    6: "writeSucceeded",
    7: "writeFailed",
    8: "configApplied",
    9: "cursorAdvanced",
    10: "connectionChanged",
    11: "agentActed",
    12: "auditFound",
}

FLAG_RECORD = 0x01
FLAG_UPSTREAM_TIME = 0x02


class LedgerUnreadable(Exception):
    """The ledger as a whole cannot be read."""


class DecodingError(Exception):
    """Bytes that break the format, at an offset inside one value."""

    def __init__(self, offset, reason):
        super().__init__(reason)
        self.offset = offset
        self.reason = reason

    def __str__(self):
        return "at byte %d: %s" % (self.offset, self.reason)


class ByteReader:
    """Reads the format's primitives from one stored value, strictly."""

    def __init__(self, data):
        self.data = data
        self.offset = 0

    def remaining(self):
        return len(self.data) - self.offset

    def take(self, count, what):
        if self.remaining() < count:
            raise DecodingError(
                self.offset, "%s needs %d bytes, %d left" % (what, count, self.remaining()))
        start = self.offset
        self.offset += count
        return self.data[start:self.offset]

    def u8(self, what):
        return self.take(1, what)[0]

    def u64be(self, what):
        return int.from_bytes(self.take(8, what), "big", signed=False)

    def i64be(self, what):
        return int.from_bytes(self.take(8, what), "big", signed=True)

    def varint(self, what):
        start = self.offset
        value = 0
        for index in range(10):
            byte = self.u8(what)
            value |= (byte & 0x7F) << (7 * index)
            if byte & 0x80 == 0:
                if byte == 0 and index > 0:
                    raise DecodingError(start, "%s is not minimally encoded" % what)
                if value >= 1 << 64:
                    raise DecodingError(start, "%s overflows 64 bits" % what)
                return value
        raise DecodingError(start, "%s is longer than 10 bytes" % what)

    def zigzag(self, what):
        raw = self.varint(what)
        return (raw >> 1) ^ -(raw & 1)

    def string(self, what):
        length = self.varint(what + " length")
        start = self.offset
        raw = self.take(length, what)
        try:
            return raw.decode("utf-8", errors="strict")
        except UnicodeDecodeError as error:
            raise DecodingError(start + error.start, "%s is not valid UTF-8" % what)

    def event_id(self, what):
        return format_id(self.take(16, what))

    def time(self, what):
        return format_time(self.i64be(what))


def format_id(raw):
    text = raw.hex()
    return "-".join((text[0:8], text[8:12], text[12:16], text[16:20], text[20:32]))


def civil_date(days):
    """The proleptic Gregorian (year, month, day) `days` after 1970-01-01."""
    shifted = days + 719468
    era = shifted // 146097
    day_of_era = shifted - era * 146097
    year_of_era = (
        day_of_era - day_of_era // 1460 + day_of_era // 36524 - day_of_era // 146096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    shifted_month = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * shifted_month + 2) // 5 + 1
    month = shifted_month + 3 if shifted_month < 10 else shifted_month - 9
    year = year_of_era + era * 400 + (1 if month <= 2 else 0)
    return year, month, day


def format_time(microseconds):
    """RFC 3339 in UTC with 0, 3 or 6 fractional digits: as few as show the value exactly."""
    seconds, fraction = divmod(microseconds, 1000000)
    days, second_of_day = divmod(seconds, 86400)
    year, month, day = civil_date(days)
    # RFC 3339 has four-digit years only; a year outside 0000-9999 is written as ISO 8601's
    # expanded form would (a sign where negative, more digits where needed).
    year_text = ("-%04d" % -year) if year < 0 else ("%04d" % year)
    text = "%s-%02d-%02dT%02d:%02d:%02d" % (
        year_text, month, day, second_of_day // 3600, second_of_day // 60 % 60,
        second_of_day % 60)
    if fraction != 0:
        if fraction % 1000 == 0:
            text += ".%03d" % (fraction // 1000)
        else:
            text += ".%06d" % fraction
    return text + "Z"


JSON_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


def json_string(text):
    """A JSON string literal escaping only what JSON requires; other characters stay as UTF-8."""
    pieces = ['"']
    for character in text:
        escaped = JSON_ESCAPES.get(character)
        if escaped is not None:
            pieces.append(escaped)
        elif ord(character) < 0x20:
            pieces.append("\\u%04x" % ord(character))
        else:
            pieces.append(character)
    pieces.append('"')
    return "".join(pieces)


def format_decimal(significand, exponent):
    """significand x 10^exponent in plain notation with at least one fractional digit."""
    digits = str(abs(significand))
    if exponent >= 0:
        text = digits + "0" * exponent + ".0"
    else:
        fraction = -exponent
        if len(digits) <= fraction:
            digits = "0" * (fraction - len(digits) + 1) + digits
        text = digits[:-fraction] + "." + digits[-fraction:]
    return "-" + text if significand < 0 else text


def read_value(reader, depth):
    """Decodes one value and returns it as compact JSON text."""
    tag_offset = reader.offset
    tag = reader.u8("value tag")
    if tag == 0x00:
        return "null"
    if tag == 0x01:
        return "false"
    if tag == 0x02:
        return "true"
    if tag == 0x03:
        return str(reader.zigzag("integer"))
    if tag == 0x04:
        start = reader.offset
        significand = reader.zigzag("decimal significand")
        exponent = reader.zigzag("decimal exponent")
        if significand == 0 and exponent != 0:
            raise DecodingError(start, "decimal zero has exponent %d, not 0" % exponent)
        if significand != 0 and significand % 10 == 0:
            raise DecodingError(
                start, "decimal significand %d has a trailing zero" % significand)
        if abs(exponent) > MAXIMUM_EXPONENT:
            raise DecodingError(
                start, "decimal exponent %d is beyond +-%d" % (exponent, MAXIMUM_EXPONENT))
        return format_decimal(significand, exponent)
    if tag == 0x05:
        return json_string(reader.string("string"))
    if tag == 0x06:
        if depth >= MAXIMUM_DEPTH:
            raise DecodingError(tag_offset, "values nest deeper than %d levels" % MAXIMUM_DEPTH)
        count = reader.varint("array count")
        elements = [read_value(reader, depth + 1) for _ in range(count)]
        return "[" + ",".join(elements) + "]"
    if tag == 0x07:
        if depth >= MAXIMUM_DEPTH:
            raise DecodingError(tag_offset, "values nest deeper than %d levels" % MAXIMUM_DEPTH)
        count = reader.varint("object member count")
        members = []
        previous_key = None
        for _ in range(count):
            key_offset = reader.offset
            key = reader.string("object key")
            key_bytes = key.encode("utf-8")
            if previous_key is not None and key_bytes <= previous_key:
                raise DecodingError(
                    key_offset, "object key %s does not sort after the one before it"
                    % json_string(key))
            previous_key = key_bytes
            members.append(json_string(key) + ":" + read_value(reader, depth + 1))
        return "{" + ",".join(members) + "}"
    raise DecodingError(tag_offset, "unknown value tag 0x%02x" % tag)


class Event:
    """One decoded event: what the JSON line shows, plus what index checks need."""

    def __init__(self, sequence):
        self.sequence = sequence
        self.raw_id = b""
        self.id = ""
        self.kind_code = 0
        self.record = None
        self.version = 0
        self.recorded_at = ""
        self.upstream_at = None
        self.causation = []
        self.body = ""

    def json_line(self):
        kind = KIND_NAMES.get(self.kind_code, "unknown(%d)" % self.kind_code)
        parts = ['{"seq":%d,"id":"%s","kind":%s' % (self.sequence, self.id, json_string(kind))]
        if self.record is not None:
            connection, record_type, remote_id = self.record
            reference = "%s:%s/%s" % (connection, record_type, remote_id)
            parts.append(',"record":%s,"version":%d' % (json_string(reference), self.version))
        parts.append(',"recordedAt":"%s"' % self.recorded_at)
        if self.upstream_at is not None:
            parts.append(',"upstreamAt":"%s"' % self.upstream_at)
        parts.append(',"causation":[%s]' % ",".join('"%s"' % cause for cause in self.causation))
        parts.append(',"body":%s}' % self.body)
        return "".join(parts)


class UnsupportedEvent(Exception):
    """An event value in an encoding version this decoder does not read."""


def decode_event(sequence, value):
    reader = ByteReader(value)
    event = Event(sequence)
    version = reader.u8("encoding version")
    if version != EVENT_VERSION:
        raise UnsupportedEvent(
            "event %d uses encoding version %d; this decoder reads version %d only"
            % (sequence, version, EVENT_VERSION))
    event.kind_code = reader.u8("kind")
    event.raw_id = bytes(value[2:18])
    event.id = reader.event_id("event id")
    event.recorded_at = reader.time("recorded time")
    flags_offset = reader.offset
    flags = reader.u8("flags")
    if flags & ~(FLAG_RECORD | FLAG_UPSTREAM_TIME):
        raise DecodingError(flags_offset, "flags 0x%02x set unknown bits" % flags)
    if flags & FLAG_UPSTREAM_TIME:
        event.upstream_at = reader.time("upstream time")
    if flags & FLAG_RECORD:
        event.record = (
            reader.string("connection"),
            reader.string("record type"),
            reader.string("remote id"),
        )
        event.version = reader.varint("stream version")
    count = reader.varint("causation count")
    event.causation = [reader.event_id("causation id") for _ in range(count)]
    event.body = read_value(reader, 0)
    if reader.remaining() != 0:
        raise DecodingError(reader.offset, "%d bytes follow the body" % reader.remaining())
    return event


def report(message):
    sys.stderr.write("%s: %s\n" % (PROGRAM, message))


def check_data_file(directory, expected):
    """Refuses a data file shorter than `expected` bytes: mapping it would crash the reader."""
    path = os.path.join(directory, "data.mdb")
    length = os.stat(path).st_size
    if length < expected:
        raise LedgerUnreadable(
            "%s is %d bytes but the environment needs %d; the file was truncated"
            % (path, length, expected))


def open_ledger(directory):
    if not os.path.isdir(directory):
        raise LedgerUnreadable("there is no ledger directory at %s" % directory)
    data_file = os.path.join(directory, "data.mdb")
    try:
        os.stat(data_file)
    except FileNotFoundError:
        raise LedgerUnreadable("there is no ledger at %s (no data.mdb)" % directory)
    except PermissionError as error:
        raise LedgerUnreadable("cannot read the ledger at %s: %s" % (directory, error.strerror))
    check_data_file(directory, 2 * os.sysconf("SC_PAGE_SIZE"))
    try:
        environment = lmdb.open(
            directory, readonly=True, lock=True, subdir=True, create=False, max_dbs=8)
    except lmdb.InvalidError as error:
        raise LedgerUnreadable("%s does not hold an LMDB environment: %s" % (directory, error))
    except lmdb.Error as error:
        raise LedgerUnreadable("cannot open the ledger at %s: %s" % (directory, error))
    info = environment.info()
    page_size = environment.stat()["psize"]
    try:
        check_data_file(directory, (info["last_pgno"] + 1) * page_size)
    except LedgerUnreadable:
        environment.close()
        raise
    return environment


def open_databases(environment, directory):
    databases = {}
    for name in ("events", "ids", "streams", "meta"):
        try:
            databases[name] = environment.open_db(name.encode("ascii"), create=False)
        except lmdb.NotFoundError:
            raise LedgerUnreadable(
                "%s holds an LMDB environment, but not a ledger (no %s database)"
                % (directory, name))
    return databases


def check_format_version(transaction, meta, directory):
    stored = transaction.get(b"format.version", db=meta)
    if stored is None or len(stored) != 1:
        raise LedgerUnreadable("%s has no one-byte format.version in meta" % directory)
    if stored[0] > FORMAT_VERSION:
        raise LedgerUnreadable(
            "the ledger at %s has format version %d, newer than version %d this decoder reads"
            % (directory, stored[0], FORMAT_VERSION))


def encode_varint(value):
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def stream_prefix(record):
    prefix = b""
    for part in record:
        encoded = part.encode("utf-8")
        prefix += encode_varint(len(encoded)) + encoded
    return prefix


def verify_indexes(transaction, databases, events, problems):
    """Checks `ids`, `streams` and the counters in `meta` against the decoded events."""
    def u64(raw):
        return int.from_bytes(raw, "big") if raw is not None and len(raw) == 8 else None

    ids, streams, meta = databases["ids"], databases["streams"], databases["meta"]
    kind_counts = {}
    versions = {}
    with_record = 0
    for event in events:
        stored = u64(transaction.get(event.raw_id, db=ids))
        if stored != event.sequence:
            problems.append(
                "ids maps %s to %s, not to event %d" % (event.id, stored, event.sequence))
        kind_counts[event.kind_code] = kind_counts.get(event.kind_code, 0) + 1
        if event.record is None:
            continue
        with_record += 1
        expected_version = versions.get(event.record, 0) + 1
        versions[event.record] = expected_version
        if event.version != expected_version:
            problems.append(
                "event %d has stream version %d, but is event %d of its record"
                % (event.sequence, event.version, expected_version))
        key = stream_prefix(event.record) + event.version.to_bytes(8, "big")
        stored = u64(transaction.get(key, db=streams))
        if stored != event.sequence:
            problems.append(
                "streams maps version %d of event %d's record to %s"
                % (event.version, event.sequence, stored))

    id_entries = transaction.stat(ids)["entries"]
    if id_entries != len(events):
        problems.append("ids has %d entries for %d events" % (id_entries, len(events)))
    stream_entries = transaction.stat(streams)["entries"]
    if stream_entries != with_record:
        problems.append(
            "streams has %d entries for %d events with a record" % (stream_entries, with_record))
    records = u64(transaction.get(b"count.records", db=meta)) or 0
    if records != len(versions):
        problems.append(
            "count.records is %d, but %d records have events" % (records, len(versions)))
    stored_kinds = {}
    with transaction.cursor(db=meta) as cursor:
        prefix = b"count.kind."
        if cursor.set_range(prefix):
            for key, value in cursor:
                if not key.startswith(prefix):
                    break
                if len(key) == len(prefix) + 1:
                    stored_kinds[key[-1]] = u64(value)
    for code in sorted(set(stored_kinds) | set(kind_counts)):
        stored = stored_kinds.get(code, 0)
        if stored != kind_counts.get(code, 0):
            problems.append(
                "count.kind for code %d is %s, but %d events have it"
                % (code, stored, kind_counts.get(code, 0)))


def main(arguments):
    verify = False
    if arguments and arguments[0] == "--verify-indexes":
        verify = True
        arguments = arguments[1:]
    if len(arguments) != 1 or arguments[0].startswith("-"):
        sys.stderr.write("usage: %s [--verify-indexes] LEDGER_DIR\n" % PROGRAM)
        return 64
    directory = arguments[0]

    try:
        environment = open_ledger(directory)
    except LedgerUnreadable as error:
        report(str(error))
        return 1

    output = sys.stdout.buffer
    failures = 0
    events = []
    try:
        databases = open_databases(environment, directory)
        with environment.begin(buffers=False) as transaction:
            check_format_version(transaction, databases["meta"], directory)
            expected = 1
            with transaction.cursor(db=databases["events"]) as cursor:
                for key, value in cursor:
                    if len(key) != 8:
                        report("the events database holds a key of %d bytes" % len(key))
                        failures += 1
                        continue
                    sequence = int.from_bytes(key, "big")
                    if sequence != expected:
                        report(
                            "the log skips from event %d to event %d" % (expected - 1, sequence))
                        failures += 1
                    expected = sequence + 1
                    try:
                        event = decode_event(sequence, value)
                    except UnsupportedEvent as error:
                        report(str(error))
                        failures += 1
                        continue
                    except DecodingError as error:
                        report("event %d does not decode %s" % (sequence, error))
                        failures += 1
                        continue
                    if verify:
                        events.append(event)
                    output.write(event.json_line().encode("utf-8") + b"\n")
            if verify:
                problems = []
                verify_indexes(transaction, databases, events, problems)
                for problem in problems:
                    report(problem)
                failures += len(problems)
    except LedgerUnreadable as error:
        report(str(error))
        return 1
    except lmdb.Error as error:
        report("reading the ledger at %s failed: %s" % (directory, error))
        return 1
    finally:
        output.flush()
        environment.close()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
