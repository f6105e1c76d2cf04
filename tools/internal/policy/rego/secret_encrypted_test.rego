package k8s.rules.secret_encrypted_test

import data.k8s.fixtures as fx
import data.k8s.rules.secret_encrypted as rule

patched(ops) := vs if {
	vs := rule.deny with input as fx.patch_input("Secret", "postgres-credentials", ops)
}

with_secret(s) := vs if {
	vs := rule.deny with input as fx.added_input([s])
}

enc_value := "ENC[AES256_GCM,data:I+SO,iv:isi5MMRCmTuRLuoVSFSj31WSY7StCNZzA99Cnx9FT3Y=,tag:M1U6EmFHurGw69KpLiqgsw==,type:str]"

plain_secret := {
	"apiVersion": "v1",
	"kind": "Secret",
	"metadata": {"name": "postgres-admin", "namespace": fx.ns},
	"type": "Opaque",
	"data": {"username": "YXBw", "password": "ZGV2LW9ubHktbm90LXNlY3JldA=="},
}

test_baseline_passes if {
	# postgres-credentials: encrypted stringData with sops metadata
	count(rule.deny) == 0 with input as fx.base_input
}

test_plain_data if {
	vs := with_secret(plain_secret)
	count(vs) == 1
	some v in vs
	v.resource == {"kind": "Secret", "namespace": fx.ns, "name": "postgres-admin"}
	v.field == "data"
	v.msg == "Secret parallel-poc/postgres-admin has 2 plain-text values (password, username) in data: encrypt it with sops --encrypt --age <recipient> --encrypted-regex '^(data|stringData)$' --in-place <file> (see README: secrets)"
}

test_plain_string_data if {
	vs := with_secret(json.patch(plain_secret, [
		{"op": "remove", "path": "/data"},
		{"op": "add", "path": "/stringData", "value": {"url": "postgres://app:pw@db:5432/app"}},
	]))
	count(vs) == 1
	some v in vs
	v.field == "stringData"
	contains(v.msg, "has 1 plain-text value (url) in stringData: encrypt it with sops --encrypt")
}

test_plain_data_and_string_data if {
	vs := with_secret(json.patch(plain_secret, [{"op": "add", "path": "/stringData", "value": {"url": "x"}}]))
	count(vs) == 2
	fx.has_msg(vs, ["2 plain-text values (password, username) in data"])
	fx.has_msg(vs, ["1 plain-text value (url) in stringData"])
}

# What a kustomize secretGenerator emits: a hashed name, base64 data, and
# no namespace unless the generator sets one.
test_secret_generator_output if {
	vs := with_secret({
		"apiVersion": "v1",
		"kind": "Secret",
		"metadata": {"name": "web-app-secrets-7c9m2h5k4t"},
		"type": "Opaque",
		"data": {"database-url": "cG9zdGdyZXM6Ly9hcHA6cHdAZGI6NTQzMi9hcHA="},
	})
	count(vs) == 1
	fx.has_msg(vs, ["Secret web-app-secrets-7c9m2h5k4t has 1 plain-text value (database-url) in data: encrypt it"])
}

test_non_string_value_is_plain if {
	vs := with_secret(json.patch(plain_secret, [{"op": "replace", "path": "/data", "value": {"port": 5432}}]))
	fx.has_msg(vs, ["1 plain-text value (port) in data"])
}

test_encrypted_data_and_key_types if {
	count(patched([
		{"op": "remove", "path": "/stringData"},
		{"op": "add", "path": "/data", "value": {"username": enc_value, "password": enc_value}},
	])) == 0

	# a recipient of another key type, or in a key group, counts
	count(patched([
		{"op": "remove", "path": "/sops/age"},
		{"op": "add", "path": "/sops/kms", "value": [{"arn": "arn:aws:kms:eu-west-1:111122223333:key/k", "enc": "AQICAH..."}]},
	])) == 0
	count(patched([
		{"op": "remove", "path": "/sops/age"},
		{"op": "add", "path": "/sops/key_groups", "value": [{"age": [fx.sops_metadata.age[0]]}]},
	])) == 0
}

test_encrypted_but_one_plain_value_left if {
	vs := patched([{"op": "add", "path": "/stringData/username", "value": "app"}])
	count(vs) == 1
	some v in vs
	v.field == "stringData"
	v.msg == "Secret parallel-poc/postgres-credentials has 1 plain-text value (username) in stringData: edit the file with sops <file> (or re-encrypt it) so every value is ENC[AES256_GCM,...] (see README: secrets)"
}

test_malformed_enc_value_is_plain if {
	fx.has_msg(patched([{"op": "replace", "path": "/stringData/url", "value": "ENC[AES256_GCM,data:abc]"}]), ["1 plain-text value (url)"])
	fx.has_msg(patched([{"op": "replace", "path": "/stringData/url", "value": "ENC[AES128_GCM,data:I+SO,iv:aXY=,tag:dGFn,type:str]"}]), ["1 plain-text value (url)"])
}

test_sops_without_mac if {
	vs := patched([{"op": "remove", "path": "/sops/mac"}])
	count(vs) == 1
	some v in vs
	v.field == "sops.mac"
	contains(v.msg, "Secret parallel-poc/postgres-credentials has sops metadata without a mac")
	fx.has_msg(patched([{"op": "replace", "path": "/sops/mac", "value": "0123abcd"}]), ["without a mac"])
}

test_sops_without_recipient if {
	vs := patched([{"op": "replace", "path": "/sops/age", "value": []}])
	count(vs) == 1
	some v in vs
	v.field == "sops"
	contains(v.msg, "has sops metadata with no recipient (age, pgp, kms, gcp_kms, azure_kv, hc_vault all empty)")

	# an entry without an encrypted data key is no recipient
	fx.has_msg(patched([{"op": "remove", "path": "/sops/age/0/enc"}]), ["no recipient"])
	fx.has_msg(patched([{"op": "add", "path": "/sops/key_groups", "value": [{"age": []}]}, {"op": "remove", "path": "/sops/age"}]), ["no recipient"])
}

test_ciphertext_without_sops if {
	vs := patched([{"op": "remove", "path": "/sops"}])
	count(vs) == 1
	fx.has_msg(vs, ["Secret parallel-poc/postgres-credentials has encrypted values but no sops metadata"])
}

test_sops_not_a_mapping if {
	vs := patched([{"op": "replace", "path": "/sops", "value": "encrypted"}])
	count(vs) == 1
	fx.has_msg(vs, ["sops metadata that is not a mapping"])
}

# Filled at run time (certgen): no values, nothing to encrypt. An empty
# value is no secret either (sops leaves "" as it is).
test_empty_placeholder if {
	placeholder := {
		"apiVersion": "v1",
		"kind": "Secret",
		"metadata": {"name": "metrics-server-tls", "namespace": "kube-system"},
		"type": "Opaque",
	}
	count(with_secret(placeholder)) == 0
	count(with_secret(json.patch(placeholder, [{"op": "add", "path": "/data", "value": {}}]))) == 0
	count(with_secret(json.patch(placeholder, [{"op": "add", "path": "/data", "value": null}]))) == 0
	count(with_secret(json.patch(placeholder, [{"op": "add", "path": "/stringData", "value": {"token": ""}}]))) == 0
	count(patched([{"op": "add", "path": "/stringData/empty", "value": ""}])) == 0
}

# A sops block is checked even without values: the schema check strips it.
test_malformed_sops_on_empty_secret if {
	vs := with_secret({
		"apiVersion": "v1",
		"kind": "Secret",
		"metadata": {"name": "empty", "namespace": fx.ns},
		"sops": {"version": "3.13.2"},
	})
	count(vs) == 2
	fx.has_msg(vs, ["Secret parallel-poc/empty has sops metadata without a mac"])
	fx.has_msg(vs, ["Secret parallel-poc/empty has sops metadata with no recipient"])
}
