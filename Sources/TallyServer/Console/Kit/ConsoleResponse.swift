import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TallyCore

/// The console's responses: HTML with the consumer pages' strict headers, CSV downloads,
/// and the cookies of its notices and language.
enum ConsoleResponse {
    static let noticeCookie = "tally_console_notice"

    static func html(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8",
                .cacheControl: "no-store",
                .contentSecurityPolicy: PageSecurity.contentSecurityPolicy,
                .referrerPolicy: "same-origin",
                .xContentTypeOptions: "nosniff",
            ],
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
    }

    /// CSV as spreadsheets open it: UTF-8 with a byte-order mark (so Excel reads Chinese), CRLF lines.
    static func csv(_ text: String, filename: String) -> Response {
        var buffer = ByteBuffer(bytes: [0xEF, 0xBB, 0xBF])
        buffer.writeString(text)
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/csv; charset=utf-8",
                .contentDisposition: "attachment; filename=\"\(filename)\"",
                .cacheControl: "no-store",
                .xContentTypeOptions: "nosniff",
            ],
            body: .init(byteBuffer: buffer)
        )
    }

    /// The HTTP status of a refusal, as the API gives it.
    static func status(of error: StoreError) -> HTTPResponse.Status {
        switch error.kind {
        case .invalid: .unprocessableContent
        case .notFound: .notFound
        case .conflict: .conflict
        case .rateLimited: .tooManyRequests
        case .overloaded, .unavailable: .serviceUnavailable
        }
    }

    static func setNotice(_ response: inout Response, _ text: String, secure: Bool) {
        response.setCookie(
            Cookie(
                name: noticeCookie, value: ConsoleURL.encode(String(text.prefix(300))), maxAge: 60, path: "/console",
                secure: secure, httpOnly: true, sameSite: .strict))
    }

    static func clearNotice(_ response: inout Response, secure: Bool) {
        response.setCookie(
            Cookie(name: noticeCookie, value: "", maxAge: 0, path: "/console", secure: secure, httpOnly: true, sameSite: .strict))
    }

    static func setLanguage(_ response: inout Response, _ lang: ConsoleLanguage, secure: Bool) {
        response.setCookie(
            Cookie(
                name: ConsoleLanguage.cookie, value: lang.rawValue, maxAge: 365 * 24 * 3600, path: "/console", secure: secure,
                httpOnly: true, sameSite: .lax))
    }
}
