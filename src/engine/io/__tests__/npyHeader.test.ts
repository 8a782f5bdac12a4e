/**
 * The .npy header read as the Python literal numpy writes (and numpy reads with literal_eval):
 * every form numpy has written parses; duplicates, extra keys and non-literals are refused.
 */
import { parseNpyHeader } from '../npyHeader';

test.each([
  [
    "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 224, 224), }",
    { descr: '<f4', fortranOrder: false, shape: [1, 3, 224, 224] }
  ],
  [
    "{'descr': '<f8', 'fortran_order': True, 'shape': (3,), }",
    { descr: '<f8', fortranOrder: true, shape: [3] }
  ],
  [
    "{'descr': '|u1', 'fortran_order': False, 'shape': (), }        \n",
    { descr: '|u1', fortranOrder: false, shape: [] }
  ],
  // Python 2's numpy wrote long integers with an L.
  [
    "{'descr': '<i8', 'fortran_order': False, 'shape': (2L, 3L), }",
    { descr: '<i8', fortranOrder: false, shape: [2, 3] }
  ],
  [
    '{"shape": (2, 3), "fortran_order": False, "descr": "<f4"}',
    { descr: '<f4', fortranOrder: false, shape: [2, 3] }
  ]
])('numpy header %j', (text, fields) => {
  expect(parseNpyHeader(text)).toEqual(fields);
});

test.each([
  [
    "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'descr': '>f8'}",
    "the header gives 'descr' twice"
  ],
  [
    "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}",
    "the header has keys 'descr', 'fortran_order', 'shape', 'x'"
  ],
  [
    "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3)}",
    'has a negative dimension'
  ],
  [
    "{'descr': '<f4', 'fortran_order': False, 'shape': (2.5,)}",
    "'shape' is not a tuple of whole numbers"
  ],
  [
    "{'descr': '<f4', 'fortran_order': 'no', 'shape': (2,)}",
    "'fortran_order' is not True or False"
  ],
  ["{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", "'}' expected"],
  ["__import__('os').system('ls')", "'{' expected at character 0"],
  [
    "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} trailing",
    'text after the dict'
  ]
])('refused: %j', (text, message) => {
  expect(() => parseNpyHeader(text)).toThrow(message);
});
