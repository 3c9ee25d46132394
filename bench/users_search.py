"""Times the users search server function over every combination a member can make on the users
page (run by bench/users.sh): each filter alone, every pair of filters, search terms of 1, 2, 4 and
10 characters with and without filters, every sort both ways, and the 40th page by keyset.
Prints p50/p95 per case (loopback round trip: an upper bound of server time) and the worst p95."""
import http.client, itertools, json, sys, time

port, cookie = int(sys.argv[1]), sys.argv[2]
ROUNDS = 10
conn = http.client.HTTPConnection("127.0.0.1", port)


def call(endpoint, args):
    """One server function call: (milliseconds, answer)."""
    started = time.perf_counter()
    conn.request("POST", f"/api/{endpoint}", json.dumps(args),
                 {"content-type": "application/json", "cookie": cookie})
    response = conn.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200:
        sys.exit(f"{endpoint} {args} answered {response.status}: {body[:200]}")
    return elapsed, json.loads(body)


def search(query):
    return call("users/search", {"query": query})


def pick(times, q):
    times = sorted(times)
    return times[min(len(times) - 1, int(len(times) * q))]


worst = []


def report(name, times, total=""):
    p50, p95 = pick(times, 0.5), pick(times, 0.95)
    worst.append((p95, name))
    print(f"  {name:<58} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms  {total}")


def case(name, query):
    times, page = [], None
    for _ in range(ROUNDS):
        elapsed, page = search(query)
        times.append(elapsed)
    shown = page["total"]
    report(name, times, f"({shown}{'+' if page.get('total_capped') else ''} match)")


first = search({})[1]
print(f"== users search over {first['total']}{'+' if first.get('total_capped') else ''} users "
      f"(compliance: clear email and phone), {ROUNDS} rounds per case")
for _ in range(20):  # warm the connection and the page cache
    search({"q": "anna"})

FILTERS = {
    "kyc": {"kyc": "verified"},
    "account": {"account": "ACTIVE"},
    "country": {"country": "de"},
    "dates": {"from": "2025-01-01", "to": "2025-06-30"},
}
print("-- each filter alone")
for name, f in FILTERS.items():
    case(name, f)
print("-- every pair of filters")
for (a, fa), (b, fb) in itertools.combinations(FILTERS.items(), 2):
    case(f"{a} + {b}", {**fa, **fb})
print("-- search terms, alone and with a filter")
for term in ["a", "an", "anna", "jonas.silv"]:
    case(f"q={term!r}", {"q": term})
    for name in ["kyc", "country"]:
        case(f"q={term!r} + {name}", {"q": term, **FILTERS[name]})
print("-- every sort, both ways")
for sort in ["created", "name", "country", "kyc", "account", "changed"]:
    for direction in ["asc", "desc"]:
        case(f"sort={sort} {direction}", {"sort": sort, "dir": direction})
print("-- the 40th page by keyset")
for sort in ["created", "name", "changed"]:
    times = []
    for _ in range(3):
        after = ""
        for n in range(40):
            elapsed, page = search({"sort": sort, "after": after})
            after = page["next"]
        times.append(elapsed)
    report(f"page 40 by {sort}", times)

p95, name = max(worst)
print(f"== worst p95: {p95:.1f} ms ({name})")


def find(term):
    return call("find/quick", {"term": term})


# The box on every page (`/` or Ctrl+K): users as above, plus payouts, exchanges, staff and audit rows.
print("-- quick find")
row = first["rows"][0]
found_worst = []
for label, term in [("a name", "anna"), ("a name, 10 characters", "jonas.silv"), ("an external id", row[0]),
                    ("a whole email", row[2]), ("a phone prefix", "+4860"), ("an audit row", "#1"),
                    ("nothing", "zzzz-no-such-thing")]:
    times = []
    for _ in range(ROUNDS):
        elapsed, hits = find(term)
        times.append(elapsed)
    p50, p95 = pick(times, 0.5), pick(times, 0.95)
    found_worst.append((p95, label))
    print(f"  {label + ' (' + term + ')':<58} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms  ({len(hits)} found)")
p95, name = max(found_worst)
print(f"== quick find worst p95: {p95:.1f} ms ({name})")
