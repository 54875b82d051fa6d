/* An x86_64 game linked against liblorelei-testdep.so.1 (testdep_lib.c):
 * prints the library's answer and exits with status 0 when it loaded. */
#include <stdio.h>

int lorelei_testdep_answer(void);

int main(void)
{
    printf("testdep answer %d\n", lorelei_testdep_answer());
    return lorelei_testdep_answer() == 42 ? 0 : 1;
}
