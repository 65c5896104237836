"""Every message a pupil can see from the journey's checks, in one place (and in the Welsh catalogue)."""

from flask_babel import lazy_gettext as _l

CODE_MISSING = _l("Enter the code from your slip")
CODE_FORMAT = _l("Codes are 10 letters and numbers, like ABCDE-23456. Check your slip and try again")
CODE_UNKNOWN = _l(
    "We could not find that code. Check it against your slip and try again, or ask your teacher for help"
)
CODE_USED = _l("This code has already been used to finish the survey. Each code works once. Ask your teacher")
WAVE_NOT_OPEN = _l("This survey has not started yet. Ask your teacher when you can take part")
WAVE_CLOSED = _l("This survey has closed. Thank you for wanting to take part")
SIGN_IN_FIRST = _l("Enter your code to start or carry on")
TIMED_OUT = _l(
    "We closed the survey because nobody used it for a while. Your answers are saved. "
    "Enter your code to carry on"
)
HANDED_OVER = _l("Done. This device is ready for the next person")
ANSWERED = _l("%(answered)s of %(total)s answered")
CHANGE = _l("Change")
FOLLOW_UP = _l("One more question, because of your answer")
SAVED_FOR_LATER = _l("Your answers are saved. To carry on later, enter your code again")
PAGE_CHANGED = _l(
    "This page was saved with other answers after you opened it, maybe in another tab. "
    "Check your answers below, then save again"
)

TOO_LONG = _l("Your answer must be %(max)s characters or fewer. You have written %(count)s")
NOT_A_NUMBER = _l("Enter a whole number, like 5")
NUMBER_OUT_OF_RANGE = _l("Enter a number from %(min)s to %(max)s")
EXCLUSIVE_AND_OTHERS = _l("Choose “%(label)s” or other answers, not both")
PREFER_NOT_AND_OTHERS = _l("Choose “Prefer not to say” or other answers, not both")
THERE_IS_A_PROBLEM = _l("There is a problem")
