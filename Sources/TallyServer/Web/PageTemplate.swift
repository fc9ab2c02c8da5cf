/// The consumer page: one mobile-first page, server-rendered, with inline CSS and a few lines
/// of script for the optional location share. No framework and nothing loaded from elsewhere,
/// so it is fast on a slow phone and works in WeChat's built-in browser.
///
/// It is written in Swift rather than a template engine because every scan renders it: reading
/// a model through reflection cost more than everything else the landing page does. Every value
/// is HTML-escaped as it is interpolated (see `HTML`); optional parts show only when present.
enum PageTemplate {
    static func render(_ page: ConsumerPage) -> String {
        let s = page.s
        var html: HTML = """
            <!DOCTYPE html>
            <html lang="\(s.htmlLang)">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="robots" content="noindex">
            <link rel="icon" href="data:,">
            <title>\(page.heading) · \(page.brandName)</title>
            <style>
            :root{--brand:\(page.brandColor)}

            """
        html += HTML(trusted: style)
        html += "</style>\n</head>\n<body>\n<header>"
        html += page.hasLogo ? "<img src=\"/brand/logo\" alt=\"\(page.brandName)\">" : "<b>\(page.brandName)</b>"
        html += "<a href=\"\(page.switchURL)\">\(s.switchLabel)</a></header>\n<main>\n"
        html += stateCard(page)
        if let account = page.account { html += accountCards(account) }
        if let product = page.product {
            html += "<section class=\"card\"><div class=\"product\">"
            if let imageURL = product.imageURL { html += "<img src=\"\(imageURL)\" alt=\"\">" }
            html += "<div><b>\(product.name)</b>\n<dl>"
            if let lot = product.lot { html += "<dt>\(s.lot)</dt><dd>\(lot)</dd>" }
            if let produced = product.productionDate { html += "<dt>\(s.produced)</dt><dd>\(produced)</dd>" }
            if let points = product.points { html += "<dt>\(s.points)</dt><dd>\(points)</dd>" }
            html += "</dl>\n</div></div></section>\n"
        }
        if let form = page.claimForm { html += claimForm(form, s) }
        if let form = page.signInForm { html += signInForm(form, s) }
        if let form = page.codeForm { html += codeForm(form, s) }
        if let form = page.manualForm { html += manualForm(form, s) }
        if let signedIn = page.signedIn {
            html += """
                <form method="post" action="/signout"><input type="hidden" name="csrf" value="\(signedIn.csrf)"><input type="hidden" name="return_to" value="\(signedIn.returnTo)">
                <footer>\(signedIn.label) · <a href="/me">\(signedIn.accountLink)</a> <button class="link" type="submit">\(s.signOut)</button></footer></form>

                """
        }
        html += "</main>\n</body>\n</html>"
        return html.text
    }

    /// The card that says what happened: heading, message, and what goes with them.
    private static func stateCard(_ page: ConsumerPage) -> HTML {
        var html: HTML = "<section class=\"card state \(page.tone)\">\n<h1>\(page.heading)</h1>\n"
        if let message = page.message { html += "<p>\(message)</p>" }
        html += "\n"
        if let result = page.result {
            html += "<p class=\"big\">\(result.earned)</p>"
            if !result.awards.isEmpty {
                html += "<ul class=\"awards\">"
                for award in result.awards { html += "<li>\(award)</li>" }
                html += "</ul>"
            }
            html += "<p>\(result.balance)</p>"
        }
        html += "\n"
        if let code = page.codeGrouped { html += "<dl><dt>\(page.s.code)</dt><dd class=\"code\">\(code)</dd></dl>" }
        html += "\n"
        if let support = page.support {
            html += "<p><a href=\"\(page.supportLink ?? "")\">\(page.s.support): \(support)</a></p>"
        }
        html += "\n"
        if let redeemed = page.redeemed {
            html += """
                <p class="note">\(redeemed.voucherLabel)</p><p class="code voucher">\(redeemed.voucher)</p>\
                <p>\(redeemed.spent)</p><p>\(redeemed.balanceAfter)</p>
                """
        }
        html += "\n"
        if let back = page.backLink { html += "<p><a href=\"\(back.href)\">\(back.label)</a></p>" }
        html += "\n</section>\n"
        return html
    }

    /// /me: balance, catalogue, vouchers and history.
    private static func accountCards(_ account: AccountView) -> HTML {
        let t = account.t
        var html: HTML = "<section class=\"card\"><p class=\"note\">\(t.balance)</p><p class=\"big\">\(account.balance)</p>"
        if let expiring = account.expiring { html += "<p class=\"note\">\(expiring)</p>" }
        html += "</section>\n<section class=\"card\"><h2>\(t.catalogue)</h2>\n"
        for reward in account.rewards {
            html += "<div class=\"item\">"
            if let imageURL = reward.imageURL { html += "<img src=\"\(imageURL)\" alt=\"\">" }
            html += "<div class=\"grow\"><b>\(reward.name)</b>"
            if let details = reward.details { html += "<p class=\"note\">\(details)</p>" }
            html += "<p>\(reward.cost)"
            if let left = reward.stockLeft { html += " · <span class=\"note\">\(left)</span>" }
            html += "</p></div>\n"
            if let form = reward.redeemForm {
                html += """
                    <form method="post" action="/me/redeem"><input type="hidden" name="csrf" value="\(form.csrf)">\
                    <input type="hidden" name="reward" value="\(form.sku)"><input type="hidden" name="nonce" value="\(form.nonce)">\
                    <button type="submit">\(form.label)</button></form>
                    """
            }
            html += "\n"
            if let unavailable = reward.unavailable { html += "<span class=\"note\">\(unavailable)</span>" }
            html += "</div>\n"
        }
        if account.rewards.isEmpty { html += "<p class=\"note\">\(t.noRewards)</p>" }
        html += "\n</section>\n"
        if account.hasRedemptions {
            html += "<section class=\"card\"><h2>\(t.redemptions)</h2><ul class=\"rows\">\n"
            for item in account.redemptions {
                html += "<li><div>\(item.name)<p class=\"note\">\(item.date)"
                if let cancelled = item.cancelledLabel { html += " · \(cancelled)" }
                html += "</p></div><span class=\"code\">\(item.voucher)</span></li>\n"
            }
            html += "</ul></section>"
        }
        html += "\n<section class=\"card\"><h2>\(t.history)</h2><ul class=\"rows\">\n"
        for item in account.history {
            html += "<li><div>\(item.label)<p class=\"note\">\(item.date)</p></div><b class=\"\(item.sign)\">\(item.points)</b></li>\n"
        }
        html += "</ul>"
        if account.history.isEmpty { html += "<p class=\"note\">\(t.noHistory)</p>" }
        html += "</section>\n"
        return html
    }

    private static func claimForm(_ form: ConsumerPage.ClaimForm, _ s: PageStrings) -> HTML {
        """
        <form class="card" method="post" action="\(form.action)">
        <input type="hidden" name="csrf" value="\(form.csrf)">
        <input type="hidden" name="latitude" id="lat"><input type="hidden" name="longitude" id="lon"><input type="hidden" name="accuracy" id="acc">
        <label class="check"><input type="checkbox" id="geo"> \(s.shareLocation)</label>
        <button type="submit">\(s.claimButton)</button>
        </form>
        <script>
        document.getElementById("geo").addEventListener("change",function(e){if(!e.target.checked||!navigator.geolocation)return;
        navigator.geolocation.getCurrentPosition(function(p){lat.value=p.coords.latitude;lon.value=p.coords.longitude;acc.value=p.coords.accuracy},function(){e.target.checked=false},{timeout:8000})});
        </script>

        """
    }

    private static func signInForm(_ form: ConsumerPage.SignInForm, _ s: PageStrings) -> HTML {
        var html: HTML = """
            <form class="card" method="post" action="/signin/code">
            <h2>\(s.signInTitle)</h2>
            <input type="hidden" name="csrf" value="\(form.csrf)"><input type="hidden" name="return_to" value="\(form.returnTo)">
            <label for="phone">\(s.phoneLabel)</label>
            <input type="tel" id="phone" name="phone" inputmode="tel" autocomplete="tel" placeholder="\(s.phonePlaceholder)" value="\(form.phone)" required>

            """
        if let error = form.error { html += "<p class=\"error\">\(error)</p>" }
        html += "\n<button type=\"submit\">\(s.sendCode)</button>\n</form>\n"
        return html
    }

    private static func codeForm(_ form: ConsumerPage.CodeForm, _ s: PageStrings) -> HTML {
        var html: HTML = """
            <form class="card" method="post" action="/signin/verify">
            <p>\(form.sentTo)</p>
            <input type="hidden" name="csrf" value="\(form.csrf)"><input type="hidden" name="return_to" value="\(form.returnTo)"><input type="hidden" name="phone" value="\(form.phone)">
            <label for="otp">\(s.codeLabel)</label>
            <input type="text" id="otp" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" maxlength="8" required autofocus>

            """
        if let error = form.error { html += "<p class=\"error\">\(error)</p>" }
        html += "\n<button type=\"submit\">\(s.verifyButton)</button>\n</form>\n"
        return html
    }

    private static func manualForm(_ form: ConsumerPage.ManualForm, _ s: PageStrings) -> HTML {
        var html: HTML = "<form class=\"card\" method=\"get\" action=\"/Q\">\n"
        if form.intro { html += "<p>\(s.manualBody)</p>" }
        html += """

            <label for="typed">\(s.manualLabel)</label>
            <input type="text" id="typed" name="code" autocapitalize="characters" autocomplete="off" spellcheck="false" placeholder="XXXXXX-XXXXXX-XXXXXX" value="\(form.value)" class="code" required>
            <button type="submit">\(s.checkButton)</button>
            </form>

            """
        return html
    }

    /// The page's style sheet after its first rule (the brand's colour).
    private static let style = """
        *{box-sizing:border-box}
        body{margin:0;font:16px/1.5 -apple-system,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;background:#f4f4f5;color:#18181b}
        header{display:flex;align-items:center;justify-content:space-between;padding:12px 16px;background:var(--brand);color:#fff}
        header img{height:28px}
        header b{font-size:18px}
        header a{color:#fff;font-size:14px}
        main{max-width:480px;margin:0 auto;padding:16px}
        .card{background:#fff;border-radius:12px;padding:20px;margin-bottom:16px;box-shadow:0 1px 2px rgba(0,0,0,.06)}
        .state{border-left:6px solid #a1a1aa}
        .good{border-color:#16a34a}.warn{border-color:#d97706;background:#fffbeb}.bad{border-color:#dc2626;background:#fef2f2}.info{border-color:#a1a1aa}
        h1{font-size:22px;margin:0 0 8px}
        h2{font-size:18px;margin:0 0 12px}
        p{margin:0 0 12px}
        .big{font-size:28px;font-weight:700;color:#16a34a}
        dl{display:grid;grid-template-columns:auto 1fr;gap:4px 12px;margin:12px 0 0;font-size:14px;align-items:baseline}
        dt{color:#71717a}dd{margin:0}
        .product{display:flex;gap:12px;align-items:center}
        .product img{width:72px;height:72px;object-fit:cover;border-radius:8px}
        .code{font-family:ui-monospace,Menlo,monospace;letter-spacing:.05em}
        label{display:block;font-size:14px;color:#52525b;margin-bottom:4px}
        input,button{font-family:inherit}
        input[type=tel],input[type=text]{width:100%;font-size:18px;padding:12px;border:1px solid #d4d4d8;border-radius:8px;margin-bottom:12px}
        button{width:100%;font-size:18px;padding:14px;border:0;border-radius:8px;background:var(--brand);color:#fff}
        .link{background:none;color:var(--brand);padding:8px;font-size:15px}
        .check{display:flex;gap:8px;align-items:center;font-size:14px;margin-bottom:12px;color:#52525b}
        .error{color:#dc2626;font-size:14px}
        footer{text-align:center;font-size:13px;color:#71717a;padding:8px 16px 24px}
        footer a{color:#71717a}
        .note{color:#71717a;font-size:14px;margin:0}
        .item{display:flex;gap:12px;align-items:center;padding:12px 0;border-top:1px solid #e4e4e7}
        .item img{width:56px;height:56px;object-fit:cover;border-radius:8px}
        .item p{margin:0}
        .grow{flex:1;min-width:0}
        .item form button{width:auto;font-size:15px;padding:8px 16px}
        .rows{list-style:none;margin:0;padding:0}
        .rows li{display:flex;justify-content:space-between;align-items:center;gap:12px;padding:8px 0;border-top:1px solid #e4e4e7;font-size:15px}
        .plus{color:#16a34a}.minus{color:#dc2626}
        .voucher{font-size:24px;font-weight:700;white-space:nowrap;color:#16a34a}

        """
}
