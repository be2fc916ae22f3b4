from tests.factories import new_incident, dispatched, instruction_of

def test_probe(site):
    from liandong.units.models import Unit
    print("units", Unit.objects.count())
    inc = dispatched()
    housing = instruction_of(inc, "housing")
    eco = site.person("duty_officer", "ecology")
    p = site.page("phone", eco)
    r = p.goto(f"/unit/instructions/{housing.pk}/")
    print("404?", r.status, p.content()[:300])
    r = p.goto("/console/")
    print("console", r.status, p.content()[:300])
    disp = site.person()
    inc2 = new_incident(address="于洪区陵西街道怒江北街188号", content="楼道供热管线漏水，热水外流。")
    d = site.page("desktop", disp)
    d.goto(f"/console/incidents/{inc2.incident_id}/")
    print(d.locator("#triage").inner_text())
    print("cat", d.locator("#category").input_value(), "primary", d.locator("#primary_unit").input_value(),
          d.locator("#cooperating_units").evaluate("s => Array.from(s.selectedOptions).map(o=>o.value)"),
          d.locator("#street").input_value())
