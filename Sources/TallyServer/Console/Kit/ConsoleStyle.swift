/// The console's one style sheet, inline (the pages load nothing from elsewhere). Laptop first,
/// and usable on a tablet: the navigation wraps, wide tables scroll within their box.
enum ConsoleStyle {
    static let css = """
        :root{--ink:#1d2329;--muted:#5d6873;--line:#d9dee3;--bg:#f5f7f9;--card:#fff;--accent:#0b6bcb;--good:#17803d;--bad:#b42318;--warn:#b54708}
        *{box-sizing:border-box}
        body{margin:0;font:15px/1.5 "Noto Sans CJK SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif;color:var(--ink);background:var(--bg)}
        a{color:var(--accent)}
        a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible,summary:focus-visible{outline:3px solid #f5b400;outline-offset:2px}
        .muted{color:var(--muted);font-size:14px}.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
        .skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:6px;z-index:9}
        header{display:flex;flex-wrap:wrap;align-items:center;gap:8px 20px;padding:10px 20px;background:#fff;border-bottom:1px solid var(--line)}
        .brand{font-weight:700;font-size:18px;text-decoration:none;color:var(--ink)}
        nav ul{display:flex;flex-wrap:wrap;gap:4px;margin:0;padding:0;list-style:none}
        nav a{display:block;padding:6px 10px;border-radius:6px;text-decoration:none;color:var(--ink)}
        nav a:hover{background:var(--bg)}nav a[aria-current=page]{background:var(--accent);color:#fff}
        .who{margin-left:auto;display:flex;gap:12px;align-items:center;color:var(--muted);font-size:14px}
        .who form{margin:0}
        main{max-width:1200px;margin:0 auto;padding:16px 20px 48px}
        h1{font-size:24px;margin:8px 0 16px}h2{font-size:18px;margin:24px 0 8px}
        .card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px;margin:12px 0}
        .grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:12px}
        .metric{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 16px}
        .metric .label{color:var(--muted);font-size:13px}.metric .value{font-size:26px;font-weight:700}
        .metric .delta{font-size:13px;color:var(--muted)}
        .table{overflow-x:auto;background:var(--card);border:1px solid var(--line);border-radius:10px}
        table{border-collapse:collapse;width:100%}caption{text-align:left;font-weight:600;padding:10px 12px}
        th,td{padding:8px 12px;border-top:1px solid var(--line);text-align:left;vertical-align:top}
        th{background:#fafbfc;font-size:13px;color:var(--muted);white-space:nowrap}
        .num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}.empty{color:var(--muted);text-align:center}
        .export{margin:6px 0 0;font-size:14px}
        .notice{padding:10px 14px;border-radius:8px;margin:12px 0;border:1px solid}
        .notice.good{background:#ecfdf3;border-color:#abefc6;color:var(--good)}
        .notice.bad{background:#fef3f2;border-color:#fecdca;color:var(--bad)}
        .notice.warn{background:#fffaeb;border-color:#fedf89;color:var(--warn)}
        form.inline{display:flex;flex-wrap:wrap;gap:8px 12px;align-items:flex-end}
        label{display:flex;flex-direction:column;gap:4px;font-size:14px;color:var(--muted)}
        input,select,textarea{font:inherit;padding:7px 9px;border:1px solid #b8c1ca;border-radius:6px;background:#fff;color:var(--ink);min-height:38px}
        textarea{min-height:120px;width:100%}
        button{font:inherit;padding:8px 14px;border-radius:6px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer;min-height:38px}
        button.secondary{background:#fff;color:var(--accent)}button.danger{background:var(--bad);border-color:var(--bad)}
        button.link{background:none;border:none;color:var(--accent);padding:0;min-height:0;text-decoration:underline}
        .badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;background:#eef2f6}
        .badge.good{background:#dcfae6;color:var(--good)}.badge.bad{background:#fee4e2;color:var(--bad)}.badge.warn{background:#fef0c7;color:var(--warn)}
        .chart{width:100%;height:auto;display:block}.chart text{font-size:11px;fill:var(--muted)}
        .legend{display:flex;gap:16px;font-size:13px;color:var(--muted)}.legend i{display:inline-block;width:12px;height:3px;vertical-align:middle;margin-right:4px}
        .split{display:grid;grid-template-columns:2fr 1fr;gap:12px}
        .side{display:grid;grid-template-columns:1fr 1fr;gap:12px}
        dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;min-width:0;overflow-wrap:anywhere}
        code{overflow-wrap:anywhere}
        .signin{max-width:380px;margin:10vh auto;background:#fff;border:1px solid var(--line);border-radius:12px;padding:24px}
        .signin form{display:flex;flex-direction:column;gap:12px}
        pre{white-space:pre-wrap;word-break:break-all;background:#f2f4f7;padding:8px;border-radius:6px;font-size:12px;margin:0}
        @media (max-width:900px){.split,.side{grid-template-columns:1fr}main{padding:12px}}
        """
}
