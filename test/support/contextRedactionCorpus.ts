/**
 * Redaction corpora (fixtures of test/protect.redact.test.ts).
 * POSITIVES: each sentence holds one sensitive value of the given type; redaction must find
 * exactly that value. NEGATIVES: near misses — look-alikes that must be left untouched.
 */

export interface Positive {
  readonly type: string;
  readonly value: string;
  readonly text: string;
}

const p = (type: string, value: string, template = 'see: {} (end)'): Positive => ({ type, value, text: template.replace('{}', value) });

export const POSITIVES: readonly Positive[] = [
  // e-mail addresses
  p('EMAIL', 'alice@example.com', 'Write to {} tomorrow.'),
  p('EMAIL', 'bob.smith+invoices@mail.co.uk', 'cc: {}'),
  p('EMAIL', 'first_last@sub.domain.io', '<{}>'),
  p('EMAIL', 'X9@a-b.travel', 'contact {}, thanks'),
  // phone numbers
  p('PHONE', '+1 415 555 2671', 'Call me on {}.'),
  p('PHONE', '+44 20 7946 0958', 'office {}'),
  p('PHONE', '(415) 555-2671', 'US: {}'),
  p('PHONE', '415-555-2671', 'mobile {} after 6'),
  p('PHONE', '+351 912 345 678', 'Lisboa {}'),
  p('PHONE', '020 7946 0958', 'London line {}'),
  p('PHONE', '+49 30 901820', 'Berlin: {}'),
  p('PHONE', '+14155552671', 'in E.164 form: {}'),
  // card numbers (Luhn-valid test numbers)
  p('CARD', '4111 1111 1111 1111', 'Visa {} exp 12/29'),
  p('CARD', '4242424242424242', 'card={}'),
  p('CARD', '5555-5555-5555-4444', 'MC {}'),
  p('CARD', '378282246310005', 'Amex {}'),
  p('CARD', '3782 822463 10005', 'Amex grouped {}'),
  p('CARD', '6011111111111117', 'Discover: {}'),
  // IBANs (mod-97 valid)
  p('IBAN', 'DE89 3704 0044 0532 0130 00', 'pay to {} please'),
  p('IBAN', 'GB82 WEST 1234 5698 7654 32', 'IBAN {} THEN done'),
  p('IBAN', 'FR14 2004 1010 0505 0001 3M02 606', 'compte {}'),
  p('IBAN', 'NL91ABNA0417164300', 'rekening {}'),
  p('IBAN', 'ES9121000418450200051332', 'cuenta {}'),
  p('IBAN', 'CH9300762011623852957', 'Konto {}'),
  p('IBAN', 'PT50000201231234567890154', 'NIB/IBAN {}'),
  // API keys and tokens
  p('API_KEY', 'sk-proj-AbCdEf0123456789GhIjKlMnOpQrStUv', 'OPENAI_API_KEY {}'),
  p('API_KEY', 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz012345', 'key {}'),
  p('API_KEY', 'ghp_0123456789abcdefghijABCDEFGHIJ012345', 'token {} for CI'),
  p('API_KEY', 'AKIAIOSFODNN7EXAMPLE', 'aws {}'),
  p('API_KEY', 'AIzaSyA1234567890abcdefghijklmnopqrstuv', 'maps {}'),
  p('API_KEY', 'xoxb-123456789012-abcdefABCDEF', 'slack {}'),
  p('API_KEY', 'sk_live_4eC39HqLyjWDarjtT1zdp7dc', 'stripe {}'),
  p('API_KEY', 'glpat-abcdefghij0123456789', 'gitlab {}'),
  p('BEARER', 'eyJhbGciOiJIUzI1NiJ9abcdefgh', 'Authorization: Bearer {}'),
  p('BEARER', 'ya29.a0AfH6SMBx-long_token~value/with+chars', 'authorization: bearer {}'),
  p('JWT', 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U', 'jwt={}'),
  p('SECRET', 'hunter2xyz9', 'password: {}'),
  p('SECRET', 'abcd1234efgh5678', 'api_key={}'),
  p('SECRET', 'Zx9-Qw8_Er7.Ty6', 'client_secret = "{}"'),
  // private key blocks
  p('PRIVATE_KEY', '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgwMbRvI0MBZhpF\n-----END RSA PRIVATE KEY-----', 'key:\n{}\n'),
  p('PRIVATE_KEY', '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----', '{}'),
  p('PRIVATE_KEY', '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n-----END PRIVATE KEY-----', 'pem {} done'),
];

export const NEGATIVES: readonly string[] = [
  // card-like numbers failing Luhn, and other long digit strings
  'card 4111 1111 1111 1112 declined',
  '4242424242424241',
  '5555-5555-5555-4445',
  'order 1234 5678 9012 3456 shipped',
  'ISBN 978-3-16-148410-0',
  'tracking 1Z999AA10123456784',
  '0000 0000 0000 0000',
  // IBAN look-alikes failing mod-97
  'DE89 3704 0044 0532 0130 01',
  'GB82 WEST 1234 5698 7654 33',
  'NL91ABNA0417164301',
  'AB12 CDEF GHIJ KLMN',
  // dates, times, versions, addresses that look like phones
  'released 2024-01-15',
  'due 15/01/2024',
  'on 01.02.2024 at 12:30:45',
  'timestamp 2023-10-05T14:48:00Z',
  'version 1.2.3',
  'build 10.0.19041.1',
  'host 192.168.1.1 port 8080',
  'v2.10.3-beta.4',
  'pi is 3.14159265',
  'revenue 1,234,567.89',
  'call 911 now',
  'HTTP 404 and RFC 9110',
  'room 12-34',
  'coords 38.7223, -9.1393',
  // e-mail look-alikes
  'installed lodash@4.17.21 today',
  'ssh user@localhost',
  'the package @scope/pkg@1.0.0',
  'email me at alice at example dot com',
  'hello@ world',
  // key and token look-alikes
  'we use sk-learn for ML',
  'task-runner-configuration-file-name',
  'ghp_short',
  'AKIA alone',
  'the Bearer of bad news',
  'Bearer token expected',
  'password_reset_link_expired',
  'password: required_field',
  'secret: see the docs',
  'the token is valid',
  'eyJhbGciOiJIUzI1NiJ9 alone is just a header',
  // PEM blocks that are not private keys
  '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----',
  '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUY\n-----END CERTIFICATE-----',
  // plain prose and code
  'The quick brown fox jumps over the lazy dog.',
  'for (let i = 0; i < 10; i++) { sum += i * 3.5; }',
];
