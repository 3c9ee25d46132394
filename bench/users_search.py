"""Times the users search server function: prefix searches, filters, paging (run by bench/users.sh)."""
import http.client, json, sys, time

port, cookie = int(sys.argv[1]), sys.argv[2]
conn = http.client.HTTPConnection("127.0.0.1", port)

def search(query):
    started = time.perf_counter()
    conn.request("POST", "/api/users/search", json.dumps({"query": query}),
                 {"content-type": "application/json", "cookie": cookie})
    response = conn.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200:
        sys.exit(f"search {query} answered {response.status}: {body[:200]}")
    return elapsed, json.loads(body)

def report(name, times, extra=""):
    times = sorted(times)
    pick = lambda q: times[min(len(times) - 1, int(len(times) * q))]
    print(f"{name:<44} n={len(times):<4} p50 {pick(0.5):6.1f} ms   p95 {pick(0.95):6.1f} ms   max {times[-1]:6.1f} ms {extra}")

total = search({})[1]["total"]
print(f"== users search over {total} users (compliance: clear email and phone)")
for _ in range(20):  # warm the connection and the page cache
    search({"q": "anna"})

terms = ["a", "an", "anna", "Kowal", "MÜLLER", "lea berg", "olga.ivan", "jonas.silva1", "+48 6", "4855", "bench-0421",
         "bench-09", "viktor horvat", "li", "x-nothing"]
times = []
for _ in range(8):
    for term in terms:
        times.append(search({"q": term})[0])
report("prefix search (name, email, phone, ids)", times)

filters = [{"kyc": "rejected"}, {"account": "SUSPENDED"}, {"country": "de"}, {"kyc": "pending", "country": "pl"},
           {"from": "2025-01-01", "to": "2025-03-31"}, {"q": "anna", "kyc": "verified", "country": "fr"},
           {"account": "WAITING_FOR_ACTIVATION", "sort": "name"}, {"kyc": "not_started", "sort": "country", "dir": "desc"}]
times = []
for _ in range(12):
    for f in filters:
        times.append(search(f)[0])
report("filters (KYC, account, country, dates, sorts)", times)

for sort in ["name", "created", "changed"]:
    times, after = [], ""
    for _ in range(40):
        elapsed, page = search({"sort": sort, "after": after})
        times.append(elapsed)
        after = page["next"]
    report(f"page-through, 40 pages of 50, by {sort}", times)
