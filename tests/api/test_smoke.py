from tests.factories import Api, dispatched, instruction_of, office_user, unit_user


def test_given_a_dispatched_incident_when_the_unit_signs_then_the_sign_deadline_is_met(db):
    incident = dispatched()
    officer = unit_user("housing")
    inst = instruction_of(incident, "housing")

    response = Api(officer).post(f"/instructions/{inst.pk}/sign")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "signed"
    sign = next(d for d in body["deadlines"] if d["kind"] == "sign")
    assert sign["state"] == "met"
    assert Api(office_user()).get(f"/incidents/{incident.incident_id}").status_code == 200
