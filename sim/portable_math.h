// exp and log that give the same bits on every machine.
//
// C++ leaves the results of std::exp, std::log, std::cos... to the math
// library, and they differ in the last bit between libraries, versions and
// even CPUs: glibc 2.36 on one machine gives different bits for about 1 in
// 1,500 arguments of cos and exp once its FMA code paths are switched off
// (GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA). A simulated latency is drawn
// through them, so a seed could mean a different run elsewhere.
//
// These are computed from IEEE-754 double +, -, *, / and bit operations only,
// in a fixed order, so every IEEE-754 machine gets the same bits (the
// library is built with -ffp-contract=off so no compiler fuses a multiply
// and an add into one rounding). Against glibc 2.36's, which are within
// about half a unit in the last place of the true value: at most one unit
// apart over 5 million arguments each (portable_math_test requires at most
// two). They cost about twice glibc's instructions (73 for exp).
#ifndef SALUDO_SIM_PORTABLE_MATH_H_
#define SALUDO_SIM_PORTABLE_MATH_H_

namespace saludo::sim {

// e^x. Overflows to +infinity above about 709.78, is 0 below about -745.13,
// and is NaN for NaN.
double PortableExp(double x);

// The natural logarithm: -infinity for 0, NaN for x < 0 or NaN, +infinity
// for +infinity.
double PortableLog(double x);

}  // namespace saludo::sim

#endif  // SALUDO_SIM_PORTABLE_MATH_H_
