#!/bin/sh
# make-test-ca.sh DIR [SAN]: a throwaway test PKI for the TLS client tests, made with the
# openssl command line. Writes into DIR:
#   ca.pem, ca.key          a CA ("ingot test CA", ECDSA P-256, 1 day)
#   server.pem, server.key  a server certificate it signs: CN=ingot-test-server, subjectAltName
#                           SAN (default IP:127.0.0.1), serverAuth
#   wrong-ca.pem            another CA, which did not sign it
# Exit status non-zero (with openssl's message) on any failure.
set -eu
dir=$1
san=${2:-IP:127.0.0.1}
mkdir -p "$dir"
cd "$dir"
days=2
ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
# shellcheck disable=SC2086
openssl req -x509 $ec -keyout ca.key -out ca.pem -days $days -subj "/CN=ingot test CA" \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
	2>/dev/null
# shellcheck disable=SC2086
openssl req -x509 $ec -keyout wrong-ca.key -out wrong-ca.pem -days $days \
	-subj "/CN=ingot wrong CA" -addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
# shellcheck disable=SC2086
openssl req -new $ec -keyout server.key -out server.csr -subj "/CN=ingot-test-server" \
	2>/dev/null
printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$san" \
	>server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days $days \
	-sha256 -extfile server.ext -out server.pem 2>/dev/null
rm -f server.csr server.ext ca.srl wrong-ca.key
