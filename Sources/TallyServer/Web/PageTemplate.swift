/// The consumer page: one mobile-first template, server-rendered, with inline CSS and a few
/// lines of script for the optional location share. No framework and nothing loaded from
/// elsewhere, so it is fast on a slow phone and works in WeChat's built-in browser.
enum PageTemplate {
    static let page = #"""
        <!DOCTYPE html>
        <html lang="{{s.htmlLang}}">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="robots" content="noindex">
        <link rel="icon" href="data:,">
        <title>{{heading}} · {{brandName}}</title>
        <style>
        :root{--brand:{{brandColor}}}
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
        </style>
        </head>
        <body>
        <header>{{#hasLogo}}<img src="/brand/logo" alt="{{brandName}}">{{/hasLogo}}{{^hasLogo}}<b>{{brandName}}</b>{{/hasLogo}}<a href="{{switchURL}}">{{s.switchLabel}}</a></header>
        <main>
        <section class="card state {{tone}}">
        <h1>{{heading}}</h1>
        {{#message}}<p>{{message}}</p>{{/message}}
        {{#result}}<p class="big">{{earned}}</p><p>{{balance}}</p>{{/result}}
        {{#codeGrouped}}<dl><dt>{{s.code}}</dt><dd class="code">{{codeGrouped}}</dd></dl>{{/codeGrouped}}
        {{#support}}<p><a href="{{supportLink}}">{{s.support}}: {{support}}</a></p>{{/support}}
        {{#redeemed}}<p class="note">{{voucherLabel}}</p><p class="code voucher">{{voucher}}</p><p>{{spent}}</p><p>{{balanceAfter}}</p>{{/redeemed}}
        {{#backLink}}<p><a href="{{href}}">{{label}}</a></p>{{/backLink}}
        </section>
        {{#account}}
        <section class="card"><p class="note">{{t.balance}}</p><p class="big">{{balance}}</p>{{#expiring}}<p class="note">{{expiring}}</p>{{/expiring}}</section>
        <section class="card"><h2>{{t.catalogue}}</h2>
        {{#rewards}}<div class="item">{{#imageURL}}<img src="{{imageURL}}" alt="">{{/imageURL}}<div class="grow"><b>{{name}}</b>{{#details}}<p class="note">{{details}}</p>{{/details}}<p>{{cost}}{{#stockLeft}} · <span class="note">{{stockLeft}}</span>{{/stockLeft}}</p></div>
        {{#redeemForm}}<form method="post" action="/me/redeem"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="reward" value="{{sku}}"><input type="hidden" name="nonce" value="{{nonce}}"><button type="submit">{{label}}</button></form>{{/redeemForm}}
        {{#unavailable}}<span class="note">{{unavailable}}</span>{{/unavailable}}</div>
        {{/rewards}}
        {{^rewards}}<p class="note">{{t.noRewards}}</p>{{/rewards}}
        </section>
        {{#hasRedemptions}}<section class="card"><h2>{{t.redemptions}}</h2><ul class="rows">
        {{#redemptions}}<li><div>{{name}}<p class="note">{{date}}{{#cancelledLabel}} · {{cancelledLabel}}{{/cancelledLabel}}</p></div><span class="code">{{voucher}}</span></li>
        {{/redemptions}}</ul></section>{{/hasRedemptions}}
        <section class="card"><h2>{{t.history}}</h2><ul class="rows">
        {{#history}}<li><div>{{label}}<p class="note">{{date}}</p></div><b class="{{sign}}">{{points}}</b></li>
        {{/history}}</ul>{{^history}}<p class="note">{{t.noHistory}}</p>{{/history}}</section>
        {{/account}}
        {{#product}}
        <section class="card"><div class="product">{{#imageURL}}<img src="{{imageURL}}" alt="">{{/imageURL}}<div><b>{{name}}</b>
        <dl>{{#lot}}<dt>{{s.lot}}</dt><dd>{{lot}}</dd>{{/lot}}{{#productionDate}}<dt>{{s.produced}}</dt><dd>{{productionDate}}</dd>{{/productionDate}}{{#points}}<dt>{{s.points}}</dt><dd>{{points}}</dd>{{/points}}</dl>
        </div></div></section>
        {{/product}}
        {{#claimForm}}
        <form class="card" method="post" action="{{action}}">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <input type="hidden" name="latitude" id="lat"><input type="hidden" name="longitude" id="lon"><input type="hidden" name="accuracy" id="acc">
        <label class="check"><input type="checkbox" id="geo"> {{s.shareLocation}}</label>
        <button type="submit">{{s.claimButton}}</button>
        </form>
        <script>
        document.getElementById("geo").addEventListener("change",function(e){if(!e.target.checked||!navigator.geolocation)return;
        navigator.geolocation.getCurrentPosition(function(p){lat.value=p.coords.latitude;lon.value=p.coords.longitude;acc.value=p.coords.accuracy},function(){e.target.checked=false},{timeout:8000})});
        </script>
        {{/claimForm}}
        {{#signInForm}}
        <form class="card" method="post" action="/signin/code">
        <h2>{{s.signInTitle}}</h2>
        <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="return_to" value="{{returnTo}}">
        <label for="phone">{{s.phoneLabel}}</label>
        <input type="tel" id="phone" name="phone" inputmode="tel" autocomplete="tel" placeholder="{{s.phonePlaceholder}}" value="{{phone}}" required>
        {{#error}}<p class="error">{{error}}</p>{{/error}}
        <button type="submit">{{s.sendCode}}</button>
        </form>
        {{/signInForm}}
        {{#codeForm}}
        <form class="card" method="post" action="/signin/verify">
        <p>{{sentTo}}</p>
        <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="return_to" value="{{returnTo}}"><input type="hidden" name="phone" value="{{phone}}">
        <label for="otp">{{s.codeLabel}}</label>
        <input type="text" id="otp" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" maxlength="8" required autofocus>
        {{#error}}<p class="error">{{error}}</p>{{/error}}
        <button type="submit">{{s.verifyButton}}</button>
        </form>
        {{/codeForm}}
        {{#manualForm}}
        <form class="card" method="get" action="/Q">
        {{#intro}}<p>{{s.manualBody}}</p>{{/intro}}
        <label for="typed">{{s.manualLabel}}</label>
        <input type="text" id="typed" name="code" autocapitalize="characters" autocomplete="off" spellcheck="false" placeholder="XXXXXX-XXXXXX-XXXXXX" value="{{value}}" class="code" required>
        <button type="submit">{{s.checkButton}}</button>
        </form>
        {{/manualForm}}
        {{#signedIn}}
        <form method="post" action="/signout"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="return_to" value="{{returnTo}}">
        <footer>{{label}} · <a href="/me">{{accountLink}}</a> <button class="link" type="submit">{{s.signOut}}</button></footer></form>
        {{/signedIn}}
        </main>
        </body>
        </html>
        """#
}
