# METADATA
# title: Secrets that carry values are SOPS-encrypted, never plain text in git
# description: |
#   Every Secret with values under data or stringData is encrypted with SOPS
#   the way Flux kustomize-controller decrypts it (spec.decryption.provider
#   sops): every value an ENC[AES256_GCM,...] string, and sops metadata with
#   a mac and at least one recipient (age, pgp, kms, gcp_kms, azure_kv,
#   hc_vault, directly or in key_groups). A sops block is checked on every
#   Secret, since verify's schema check strips it. Secrets without values
#   (filled at run time) pass.
package k8s.rules.secret_encrypted

import data.k8s.lib

value_fields := ["data", "stringData"]

# The pattern sops writes (verify's sops.go uses the same): ciphertext, IV
# and tag in standard base64, then the plaintext's type.
encrypted_value := `^ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:[A-Za-z0-9+/=]+,tag:[A-Za-z0-9+/=]+,type:[a-z]+\]$`

# Key types sops can encrypt the data key for; each entry keeps it in enc.
recipient_fields := ["age", "pgp", "kms", "gcp_kms", "azure_kv", "hc_vault"]

encrypt_hint := "encrypt it with sops --encrypt --age <recipient> --encrypted-regex '^(data|stringData)$' --in-place <file> (see README: secrets)"

deny contains v if {
	some s in lib.objects("Secret")
	some field in value_fields
	plain := plain_keys(s, field)
	count(plain) > 0
	v := lib.violation(s, field, sprintf("%s has %s (%s) in %s: %s", [
		secret_text(s), values_text(count(plain)),
		concat(", ", sort(plain)), field, plain_hint(s),
	]))
}

# Ciphertext without its metadata (the sops block was cut off, e.g. when
# copying a Secret): kustomize-controller would apply the ENC[...] strings
# as the values.
deny contains v if {
	some s in lib.objects("Secret")
	not lib.has_key(s, "sops")
	some [_, _, val] in values(s)
	is_encrypted(val)
	v := lib.violation(s, "sops", sprintf("%s has encrypted values but no sops metadata: kustomize-controller would apply the ENC[...] text itself as the values; %s", [secret_text(s), encrypt_hint]))
}

deny contains v if {
	some s in lib.objects("Secret")
	lib.has_key(s, "sops")
	not is_object(s.sops)
	v := lib.violation(s, "sops", sprintf("%s has sops metadata that is not a mapping: %s", [secret_text(s), encrypt_hint]))
}

deny contains v if {
	some s in lib.objects("Secret")
	is_object(s.sops)
	not has_mac(s.sops)
	v := lib.violation(s, "sops.mac", sprintf("%s has sops metadata without a mac (an ENC[AES256_GCM,...] string): kustomize-controller refuses to decrypt it; %s", [secret_text(s), encrypt_hint]))
}

deny contains v if {
	some s in lib.objects("Secret")
	is_object(s.sops)
	count(recipients(s.sops)) == 0
	v := lib.violation(s, "sops", sprintf("%s has sops metadata with no recipient (%s all empty): nobody, kustomize-controller included, can decrypt it; %s", [
		secret_text(s), concat(", ", recipient_fields), encrypt_hint,
	]))
}

# [field, key, value] of every value under data and stringData.
values(s) := [[field, k, val] |
	some field in value_fields
	some k, val in lib.oget(s, field)
]

# Keys whose value is neither encrypted nor empty: sops leaves an empty
# string as it is, and an empty value gives nothing away.
plain_keys(s, field) := [k |
	some [f, k, val] in values(s)
	f == field
	not is_encrypted(val)
	not is_empty(val)
]

is_empty(val) if val in {null, ""}

is_encrypted(val) if {
	is_string(val)
	regex.match(encrypted_value, val)
}

has_mac(sops) if {
	is_string(sops.mac)
	regex.match(encrypted_value, sops.mac)
}

# Entries that hold an encrypted data key, directly or in key groups.
recipients(sops) := [e |
	some group in array.concat([sops], lib.aget(sops, "key_groups"))
	some field in recipient_fields
	some e in lib.aget(lib.obj(group), field)
	is_object(e)
	is_string(e.enc)
	e.enc != ""
]

# A value left in plain text beside encrypted ones was added or edited
# after encryption; editing through sops encrypts it.
plain_hint(s) := "edit the file with sops <file> (or re-encrypt it) so every value is ENC[AES256_GCM,...] (see README: secrets)" if {
	lib.has_key(s, "sops")
} else := encrypt_hint

values_text(1) := "1 plain-text value"

values_text(n) := sprintf("%d plain-text values", [n]) if n != 1

secret_text(s) := sprintf("Secret %s/%s", [s.metadata.namespace, lib.name_of(s)]) if {
	is_string(s.metadata.namespace)
	s.metadata.namespace != ""
} else := sprintf("Secret %s", [lib.name_of(s)])
