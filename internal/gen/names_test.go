package gen

import "testing"

func TestNames(t *testing.T) {
	for in, want := range map[string]string{
		"customer_id": "CustomerID", "OrderLines": "OrderLines", "user": "User", "select": "Select",
		"2fa": "X2fa", "api_url": "APIURL", "ORDERS": "Orders", "html5": "Html5", "über_größe": "ÜberGröße",
		"LineID": "LineID", "createdAt": "CreatedAt", "": "X", "a b-c": "ABC",
	} {
		if got := camel(in); got != want {
			t.Errorf("camel(%q) = %q, want %q", in, got, want)
		}
	}
	if got := camelCase("PG-13", true); got != "PG13" {
		t.Errorf("an enum's PG-13 = %q", got)
	}
	for in, want := range map[string]string{
		"Customers": "Customer", "Categories": "Category", "Addresses": "Address", "Status": "Status",
		"Boxes": "Box", "Staff": "Staff", "OrderLines": "OrderLine", "Analysis": "Analysis", "S": "S",
	} {
		if got := singular(in); got != want {
			t.Errorf("singular(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"Customer": "Customers", "Category": "Categories", "Address": "Addresses", "Day": "Days",
		"Box": "Boxes", "Match": "Matches", "ID": "IDs",
	} {
		if got := plural(in); got != want {
			t.Errorf("plural(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"customer_id": "customer", "ManagerId": "Manager", "id": "id", "reports_to": "reports_to"} {
		if got := trimID(in); got != want {
			t.Errorf("trimID(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"stats_windows": "stats_windows_table", "OrderLines": "order_lines", "my_test": "my_test_table", "linux": "linux", "café": "café"} {
		if got := fileBase(in); got != want {
			t.Errorf("fileBase(%q) = %q, want %q", in, got, want)
		}
	}
	ns := namespace{}
	if a, b, c, d := ns.take("Order"), ns.take("Order", "OrderRow"), ns.take("Order", "OrderRow"), ns.take("Order"); a != "Order" || b != "OrderRow" || c != "Order2" || d != "Order3" {
		t.Errorf("take: %s %s %s %s", a, b, c, d)
	}
}

func TestParseType(t *testing.T) {
	for in, want := range map[string]string{
		"string": "string", "[]int64": "[]int64", "time.Duration": "time.Duration",
		"github.com/shopspring/decimal.Decimal": "decimal.Decimal", "[]github.com/google/uuid.UUID": "[]uuid.UUID",
	} {
		typ, err := parseType(in)
		if err != nil || typ.name != want {
			t.Errorf("parseType(%q) = %q, %v; want %q", in, typ.name, err, want)
		}
	}
	for _, bad := range []string{"", "*int", "[]", "map[string]int", "a.", ".B", "[][]int"} {
		if _, err := parseType(bad); err == nil {
			t.Errorf("parseType(%q): no error", bad)
		}
	}
}
