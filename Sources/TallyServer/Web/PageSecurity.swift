/// The Content-Security-Policy of every HTML page the server renders (the consumer's pages and
/// the brand console): nothing loaded from elsewhere but product images, inline style and script
/// only, forms only to ourselves, never framed.
enum PageSecurity {
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self' https: data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
}
