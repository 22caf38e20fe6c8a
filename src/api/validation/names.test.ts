import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isCIdentifier,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isQualifiedName,
  isStrictEnvVarName,
  isValidIP,
  isValidLabelValue,
  isValidPercent,
  isValidPortName,
  isValidPortNum,
} from './names.js';

const SUBDOMAIN_RULE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_RULE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_RULE =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const QNAME_RULE =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const VALUE_RULE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

type Case = [string, string[]];

function check(fn: (v: string) => string[], cases: Case[]): void {
  for (const [v, want] of cases) assert.deepEqual(fn(v), want, `${fn.name}(${JSON.stringify(v)})`);
}

test('isDNS1123Subdomain', () => {
  check(isDNS1123Subdomain, [
    ['example.com', []],
    ['a', []],
    ['0.a-b.c', []],
    ['a'.repeat(253), []],
    ['a'.repeat(254), ['must be no more than 253 characters']],
    ['Example', [SUBDOMAIN_RULE]],
    ['-a', [SUBDOMAIN_RULE]],
    ['a.', [SUBDOMAIN_RULE]],
    ['a..b', [SUBDOMAIN_RULE]],
    ['a_b', [SUBDOMAIN_RULE]],
    ['', [SUBDOMAIN_RULE]],
  ]);
  assert.deepEqual(isDNS1123Subdomain(`${'a'.repeat(253)}-`), ['must be no more than 253 characters', SUBDOMAIN_RULE]);
});

test('isDNS1123Label', () => {
  check(isDNS1123Label, [
    ['my-name', []],
    ['123-abc', []],
    ['a'.repeat(63), []],
    ['a'.repeat(64), ['must be no more than 63 characters']],
    ['a.b', ['must not contain dots']],
    ['My-Name', [LABEL_RULE]],
    ['a-', [LABEL_RULE]],
    ['', [LABEL_RULE]],
  ]);
});

test('isDNS1035Label', () => {
  check(isDNS1035Label, [
    ['my-name', []],
    ['abc-123', []],
    ['1abc', [DNS1035_RULE]],
    ['a.b', [DNS1035_RULE]],
    ['a'.repeat(64), ['must be no more than 63 characters']],
  ]);
});

const qualifiedNameCases: Case[] = [
  ['app', []],
  ['MyName', []],
  ['my.name', []],
  ['123-abc', []],
  ['a_b', []],
  ['example.com/MyName', []],
  ['app.kubernetes.io/name', []],
  ['Bad Key', [`name part ${QNAME_RULE}`]],
  ['-a', [`name part ${QNAME_RULE}`]],
  ['', ['name part must be non-empty', `name part ${QNAME_RULE}`]],
  ['example.com/', ['name part must be non-empty', `name part ${QNAME_RULE}`]],
  ['/name', ['prefix part must be non-empty']],
  ['Example.com/name', [`prefix part ${SUBDOMAIN_RULE}`]],
  ['a'.repeat(64), ['name part must be no more than 63 characters']],
  [
    'a/b/c',
    [`a qualified name ${QNAME_RULE} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`],
  ],
];

test('isQualifiedName', () => {
  // twice: the second round answers valid names from the recently-valid set
  for (let round = 0; round < 2; round++) check(isQualifiedName, qualifiedNameCases);
});

test('isValidLabelValue', () => {
  check(isValidLabelValue, [
    ['', []],
    ['MyValue', []],
    ['my_value', []],
    ['12345', []],
    ['a.b-c_d', []],
    ['a'.repeat(63), []],
    ['a'.repeat(64), ['must be no more than 63 characters']],
    ['bad value', [VALUE_RULE]],
    ['-a', [VALUE_RULE]],
    ['a/b', [VALUE_RULE]],
  ]);
});

test('isCIdentifier', () => {
  const rule =
    "a valid C identifier must start with alphabetic character or '_', followed by a string of alphanumeric characters or '_' (e.g. 'my_name',  or 'MY_NAME',  or 'MyName', regex used for validation is '[A-Za-z_][A-Za-z0-9_]*')";
  check(isCIdentifier, [
    ['my_name', []],
    ['_x1', []],
    ['1x', [rule]],
    ['a-b', [rule]],
    ['', [rule]],
  ]);
});

test('isEnvVarName accepts printable ASCII except =, as Kubernetes >= 1.32 does', () => {
  const rule = "environment variable name: a valid environment variable name must consist only of printable ASCII characters other than '='";
  check(isEnvVarName, [
    ['PATH', []],
    ['1st-var.x', []],
    ['with space', []],
    ['', ['environment variable name must be non-empty']],
    ['A=B', [rule]],
    ['tab\there', [rule]],
    ['café', [rule]],
  ]);
});

test('isStrictEnvVarName keeps the classic rule', () => {
  const rule =
    "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')";
  check(isStrictEnvVarName, [
    ['MY_VAR', []],
    ['my.env-name', []],
    ['1VAR', [rule]],
    ['.', ["must not be '.'"]],
    ['..', ["must not be '..'"]],
    ['..x', ["must not start with '..'"]],
  ]);
});

test('isValidPortNum', () => {
  const cases: [number, string[]][] = [
    [1, []],
    [80, []],
    [65535, []],
    [0, ['must be between 1 and 65535, inclusive']],
    [65536, ['must be between 1 and 65535, inclusive']],
    [-1, ['must be between 1 and 65535, inclusive']],
    [1.5, ['must be between 1 and 65535, inclusive']],
  ];
  for (const [n, want] of cases) assert.deepEqual(isValidPortNum(n), want, String(n));
});

test('isValidIP', () => {
  const bad = ['must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'];
  check(isValidIP, [
    ['10.9.8.7', []],
    ['0.0.0.0', []],
    ['010.001.0.1', []], // Kubernetes parses IPv4 sloppily: leading zeros are allowed
    ['2001:db8::ffff', []],
    ['::', []],
    ['::1', []],
    ['fe80::1:2:3:4', []],
    ['::ffff:1.2.3.4', []],
    ['1:2:3:4:5:6:7:8', []],
    ['1:2:3:4:5:6:1.2.3.4', []],
    ['', bad],
    ['256.1.1.1', bad],
    ['1.2.3', bad],
    ['1.2.3.4.5', bad],
    ['1.2.3.4/24', bad],
    ['example.com', bad],
    ['1:2:3:4:5:6:7:8:9', bad],
    ['1:2:3:4:5:6:7::8', bad],
    ['1::2::3', bad],
    ['fe80::1%eth0', bad],
    ['12345::1', bad],
    [':1:2:3:4:5:6:7', bad],
  ]);
});

test('isValidPortName', () => {
  check(isValidPortName, [
    ['http', []],
    ['h2c', []],
    ['web-8080', []],
    ['a'.repeat(16), ['must be no more than 15 characters']],
    ['HTTP', ['must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)', 'must contain at least one letter (a-z)']],
    ['8080', ['must contain at least one letter (a-z)']],
    ['a--b', ['must not contain consecutive hyphens']],
    ['-ab', ['must not begin or end with a hyphen']],
    ['', ['must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)', 'must contain at least one letter (a-z)']],
  ]);
});

test('isValidPercent', () => {
  check(isValidPercent, [
    ['25%', []],
    ['0%', []],
    ['25', ["a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"]],
  ]);
});
