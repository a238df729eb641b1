dialogId("m-one", "font_small", "One.")
dialogStr("Jedna.")
dialogId("v-two", "font_big",
"Two")
dialogStr(
"Dv\"a.")
