import NIOCore

/// The messages of PostgreSQL's frontend/backend protocol 3.0 that a replication client
/// receives. Anything else is kept as `.other` and ignored by whoever waits.
enum BackendMessage: Sendable {
    enum Authentication: Sendable, Equatable {
        case ok
        case cleartextPassword
        case md5Password
        case sasl(mechanisms: [String])
        case saslContinue([UInt8])
        case saslFinal([UInt8])
        case unsupported(Int32)
    }

    case authentication(Authentication)
    case parameterStatus(name: String, value: String)
    case readyForQuery
    case error(PostgresNotice)
    case notice(PostgresNotice)
    case rowDescription(columns: [String])
    case dataRow([[UInt8]?])
    case commandComplete(tag: String)
    case copyBothResponse
    case copyData(ByteBuffer)
    case copyDone
    case other(type: UInt8)

    /// Decodes the body of a message of `type` (its length already stripped).
    init(type: UInt8, body: inout ByteBuffer) throws(CaptureError) {
        switch type {
        case UInt8(ascii: "R"):
            let code = try body.postgresInteger(Int32.self)
            switch code {
            case 0: self = .authentication(.ok)
            case 3: self = .authentication(.cleartextPassword)
            case 5: self = .authentication(.md5Password)
            case 10:
                var mechanisms: [String] = []
                while let name = try? body.postgresString(), !name.isEmpty { mechanisms.append(name) }
                self = .authentication(.sasl(mechanisms: mechanisms))
            case 11: self = .authentication(.saslContinue(body.readBytes(length: body.readableBytes) ?? []))
            case 12: self = .authentication(.saslFinal(body.readBytes(length: body.readableBytes) ?? []))
            default: self = .authentication(.unsupported(code))
            }
        case UInt8(ascii: "S"):
            self = .parameterStatus(name: try body.postgresString(), value: try body.postgresString())
        case UInt8(ascii: "Z"):
            self = .readyForQuery
        case UInt8(ascii: "E"):
            self = .error(try PostgresNotice(&body))
        case UInt8(ascii: "N"):
            self = .notice(try PostgresNotice(&body))
        case UInt8(ascii: "T"):
            let count = try body.postgresInteger(Int16.self)
            var columns: [String] = []
            for _ in 0..<max(count, 0) {
                columns.append(try body.postgresString())
                // table oid, column number, type oid, size, modifier, format
                guard body.readSlice(length: 18) != nil else { throw CaptureError.truncated("RowDescription") }
            }
            self = .rowDescription(columns: columns)
        case UInt8(ascii: "D"):
            let count = try body.postgresInteger(Int16.self)
            var values: [[UInt8]?] = []
            for _ in 0..<max(count, 0) {
                let length = try body.postgresInteger(Int32.self)
                if length < 0 {
                    values.append(nil)
                } else {
                    guard let bytes = body.readBytes(length: Int(length)) else { throw CaptureError.truncated("DataRow") }
                    values.append(bytes)
                }
            }
            self = .dataRow(values)
        case UInt8(ascii: "C"):
            self = .commandComplete(tag: try body.postgresString())
        case UInt8(ascii: "W"):
            self = .copyBothResponse
        case UInt8(ascii: "d"):
            self = .copyData(body)
        case UInt8(ascii: "c"):
            self = .copyDone
        default:
            self = .other(type: type)
        }
    }
}

/// The fields of an ErrorResponse or NoticeResponse.
struct PostgresNotice: Sendable, CustomStringConvertible {
    var fields: [UInt8: String] = [:]

    init(_ body: inout ByteBuffer) throws(CaptureError) {
        while let type: UInt8 = body.readInteger(), type != 0 {
            fields[type] = try body.postgresString()
        }
    }

    var sqlState: String? { fields[UInt8(ascii: "C")] }
    var message: String { fields[UInt8(ascii: "M")] ?? "(no message)" }
    var severity: String { fields[UInt8(ascii: "V")] ?? fields[UInt8(ascii: "S")] ?? "ERROR" }

    var description: String {
        var text = "\(severity): \(message)"
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let detail = fields[UInt8(ascii: "D")] { text += "; \(detail)" }
        if let hint = fields[UInt8(ascii: "H")] { text += "; hint: \(hint)" }
        return text
    }

    var error: CaptureError {
        CaptureError(.server, "PostgreSQL: \(description)", sqlState: sqlState)
    }
}

extension CaptureError {
    static func truncated(_ what: String) -> CaptureError {
        CaptureError(.protocolViolation, "a \(what) message from PostgreSQL ends early")
    }
}

extension ByteBuffer {
    /// A NUL-terminated string.
    mutating func postgresString() throws(CaptureError) -> String {
        guard let end = readableBytesView.firstIndex(of: 0) else { throw CaptureError.truncated("string in a") }
        let string = readString(length: end - readerIndex) ?? ""
        moveReaderIndex(forwardBy: 1)
        return string
    }

    mutating func postgresInteger<Integer: FixedWidthInteger>(_ type: Integer.Type) throws(CaptureError) -> Integer {
        guard let value: Integer = readInteger(endianness: .big) else { throw CaptureError.truncated("integer in a") }
        return value
    }
}
